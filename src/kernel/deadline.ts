/**
 * `work`'s answer, or a rejection once `ms` have passed without one. The work itself is not
 * cancelled (a DNS lookup or a database read cannot be); its late answer is ignored. The timer is
 * cleared either way, so a fast answer leaves nothing pending.
 */
export async function withDeadline<T>(work: () => Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work(), late]);
  } finally {
    clearTimeout(timer);
  }
}
