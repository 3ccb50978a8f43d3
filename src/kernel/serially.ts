/**
 * A runner that starts each piece of work only after the one before it has settled, in the order
 * given: loads and refreshes of an in-memory copy then apply exactly in the order they were asked
 * for, and an older copy never replaces a newer one. A failure reaches its own caller only; the
 * next piece runs regardless.
 */
export function createSerialRunner(): (work: () => Promise<void>) => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  return (work) => {
    const run = chain.then(work);
    chain = run.catch(() => {});
    return run;
  };
}
