import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partsOf } from './ledger.engine.ts';
import { TransferFlags, type TransferRequest } from './ledger.ts';

const item = (index: number, linked: boolean): TransferRequest => ({
  id: `00000000-0000-7000-8000-${index.toString(16).padStart(12, '0')}`, debitAccountId: 'a', creditAccountId: 'b', amount: 1n, ledger: 1, code: 1,
  flags: linked ? TransferFlags.linked : 0,
});
const isLinked = (request: TransferRequest) => (request.flags & TransferFlags.linked) !== 0;

describe('partsOf: a large request in parts for the engine', () => {
  it('cuts plain transfers into runs of the size, the rest in the last', () => {
    const items = Array.from({ length: 10 }, (_, index) => item(index, false));
    expect(partsOf(items, 4).map((part) => part.length)).toEqual([4, 4, 2]);
    expect(partsOf(items, 10).map((part) => part.length)).toEqual([10]);
    expect(partsOf(items, 20).map((part) => part.length)).toEqual([10]);
  });

  it('never cuts a chain: a part runs on to the end of the chain it reached', () => {
    // Items 2 to 6 form one chain (2 to 5 linked, 6 closes it).
    const items = Array.from({ length: 10 }, (_, index) => item(index, index >= 2 && index <= 5));
    expect(partsOf(items, 3).map((part) => part.length)).toEqual([7, 3]);
  });

  it('keeps an open chain at the end of the request in the last part', () => {
    const items = Array.from({ length: 8 }, (_, index) => item(index, index >= 5));
    expect(partsOf(items, 2).map((part) => part.length)).toEqual([2, 2, 4]);
  });

  it('for any request and size: the parts are the request in order, each chain whole and each part but the last at least the size', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (links, size) => {
        const items = links.map((linked, index) => item(index, linked));
        const parts = partsOf(items, size);
        expect(parts.flat()).toEqual(items);
        parts.forEach((part, index) => {
          if (index === parts.length - 1) return;
          expect(part.length).toBeGreaterThanOrEqual(size);
          // A part ends with the item that closes a chain, and runs past the size only to reach it.
          expect(isLinked(part[part.length - 1] as TransferRequest)).toBe(false);
          for (let position = size - 1; position < part.length - 1; position++) expect(isLinked(part[position] as TransferRequest)).toBe(true);
        });
      }),
    );
  });
});
