/** The typed arrays that grow by doubling in the hot paths (posting notes, screening postings). */
type GrowableArray = BigInt64Array | Int32Array;

/**
 * A copy of `array` with twice its length, the new half zeroed. Growing by doubling keeps the cost
 * of appending constant on average.
 */
export function doubled<T extends GrowableArray>(array: T): T {
  const bigger = new (array.constructor as new (length: number) => T)(array.length * 2);
  bigger.set(array as never);
  return bigger;
}
