import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSettle, checkSplit, partitionsFace, priceFinancing, priceRepurchase } from './scf.rules.ts';
import { amountOf, daysBetween, discountInterest, isLive, splitRanges, type Piece, type Voucher } from './scf.ts';

const voucher = (fields: Partial<Voucher> = {}): Voucher & { pieceCount: number } => ({
  id: 'v', programId: 'p', issuerId: 'core', faceAmount: 1_000_000n, issueDate: '2026-01-01', maturityDate: '2026-07-01',
  contractHash: 'c', invoiceHashes: ['i'], status: 'active', createdAt: '', pieceCount: 1, ...fields,
});
const piece = (fields: Partial<Piece> = {}): Piece => ({
  id: 'x', voucherId: 'v', start: 0n, end: 1_000_000n, parentId: null, depth: 0, tier: 1, holderId: 's1', pendingHolderId: null,
  status: 'held', frozenFrom: null, financing: null, updatedAt: '', ...fields,
});

describe('discount interest', () => {
  it('counts actual days and rounds down to a whole minor unit, stating the remainder', () => {
    // 1,000,000.00 at 3.65 % for 181 days: ACT/360 gives 18,351.3888…, ACT/365 gives 18,100.
    expect(daysBetween('2026-01-01', '2026-07-01')).toBe(181);
    expect(discountInterest(100_000_000n, 365, 181, 360)).toEqual({ interest: 1_835_138n, remainder: 3_200_000n });
    expect(discountInterest(100_000_000n, 365, 181, 365)).toEqual({ interest: 1_810_000n, remainder: 0n });
    expect(discountInterest(1n, 10_000, 360, 360)).toEqual({ interest: 1n, remainder: 0n });
    expect(discountInterest(99n, 100, 1, 360).interest).toBe(0n);
  });

  it('never charges more than the exact interest nor a whole unit less, and grows with days', () => {
    fc.assert(fc.property(
      fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 366 }), fc.constantFrom(360 as const, 365 as const),
      (amount, rate, days, basis) => {
        const { interest, remainder } = discountInterest(amount, rate, days, basis);
        const divisor = 10_000n * BigInt(basis);
        expect(interest * divisor + remainder).toBe(amount * BigInt(rate) * BigInt(days));
        expect(remainder >= 0n && remainder < divisor).toBe(true);
        if (days > 0) expect(discountInterest(amount, rate, days - 1, basis).interest <= interest).toBe(true);
      },
    ));
  });
});

describe('financing and repurchase', () => {
  it('prices a repurchase on the day of financing at exactly the proceeds, and later never below them', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 180 }), fc.integer({ min: 0, max: 179 }), (amount, rate, term, elapsed) => {
      fc.pre(elapsed < term);
      const financedOn = '2026-01-01';
      const maturityDate = new Date(Date.UTC(2026, 0, 1 + term)).toISOString().slice(0, 10);
      const v = voucher({ faceAmount: amount, maturityDate });
      const p = piece({ end: amount });
      const financed = priceFinancing({ piece: p, voucher: v, program: { dayCountBasis: 360 }, actingPartyId: 's1', bankId: 'bank', bankIsFunder: true, annualRateBps: rate, today: financedOn });
      if (!financed.ok) {
        expect(financed.error).toBe('rate_out_of_range');
        return;
      }
      const { remainder: _, ...financing } = financed.value;
      const held = { ...p, status: 'financed' as const, financing };
      const sameDay = priceRepurchase(held, v, 360, 's1', financedOn);
      expect(sameDay.ok && sameDay.value.price).toBe(financing.proceeds);
      const later = priceRepurchase(held, v, 360, 's1', new Date(Date.UTC(2026, 0, 1 + elapsed)).toISOString().slice(0, 10));
      expect(later.ok && later.value.price >= financing.proceeds && later.value.price <= amount).toBe(true);
    }));
  });

  it('refuses proceeds that would not be positive', () => {
    const result = priceFinancing({ piece: piece({ end: 100n }), voucher: voucher({ maturityDate: '2027-01-01' }), program: { dayCountBasis: 360 }, actingPartyId: 's1', bankId: 'b', bankIsFunder: true, annualRateBps: 10_000, today: '2026-01-01' });
    expect(result).toEqual({ ok: false, error: 'rate_out_of_range' });
  });
});

describe('splits and settlement', () => {
  it('splits a piece into consecutive ranges that partition it exactly, or not at all', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.array(fc.bigInt({ min: -5n, max: 10n ** 6n }), { minLength: 1, maxLength: 20 }), (start, amounts) => {
      const total = amounts.reduce((sum, amount) => sum + amount, 0n);
      const ranges = splitRanges({ start, end: start + total }, amounts);
      if (amounts.some((amount) => amount <= 0n)) {
        expect(ranges).toBeUndefined();
        return;
      }
      expect(ranges?.map((range) => range.end - range.start)).toEqual(amounts);
      expect(partitionsFace((ranges ?? []).map((range) => ({ start: range.start - start, end: range.end - start })), total)).toBe(true);
    }));
  });

  it('checks who acts, then the piece, then time, then the amounts', () => {
    const base = { voucher: voucher(), program: { minSplitAmount: 100n, maxSplitDepth: 1 }, actingPartyId: 's1', today: '2026-02-01', amounts: [1n, 2n] };
    expect(checkSplit({ ...base, piece: piece({ holderId: 's2', status: 'frozen' }) })).toEqual({ ok: false, error: 'not_the_holder' });
    expect(checkSplit({ ...base, piece: piece({ status: 'frozen' }) })).toEqual({ ok: false, error: 'piece_frozen' });
    expect(checkSplit({ ...base, piece: piece(), today: '2026-07-01' })).toEqual({ ok: false, error: 'piece_overdue' });
    expect(checkSplit({ ...base, piece: piece() })).toEqual({ ok: false, error: 'split_amounts_do_not_add_up' });
    expect(checkSplit({ ...base, piece: piece(), amounts: [99n, 999_901n] })).toEqual({ ok: false, error: 'split_below_minimum' });
    expect(checkSplit({ ...base, piece: piece({ depth: 1 }), amounts: [500_000n, 500_000n] })).toEqual({ ok: false, error: 'split_depth_exceeded' });
    expect(checkSplit({ ...base, piece: piece(), amounts: [500_000n, 500_000n] }).ok).toBe(true);
  });

  it('pays every live piece exactly once, the bank for a financed one, adding up to the face value', () => {
    const financing = { bankId: 'bank', sellerId: 's2', annualRateBps: 100, days: 10, interest: 1n, proceeds: 299_999n, financedOn: '2026-01-01' };
    const pieces = [
      piece({ id: 'root', status: 'split' }),
      piece({ id: 'a', start: 0n, end: 700_000n, status: 'split' }),
      piece({ id: 'b', start: 700_000n, end: 1_000_000n, holderId: 's2', status: 'financed', financing }),
      piece({ id: 'a1', start: 0n, end: 200_000n, holderId: 's3', status: 'transfer_pending', pendingHolderId: 's4' }),
      piece({ id: 'a2', start: 200_000n, end: 700_000n }),
    ];
    const result = checkSettle(voucher(), pieces, 'core', '2026-07-01');
    expect(result).toEqual({ ok: true, value: [{ pieceId: 'a1', payeeId: 's3', amount: 200_000n }, { pieceId: 'a2', payeeId: 's1', amount: 500_000n }, { pieceId: 'b', payeeId: 'bank', amount: 300_000n }] });
    expect(partitionsFace(pieces.filter(isLive), 1_000_000n)).toBe(true);
    expect(pieces.filter(isLive).reduce((sum, p) => sum + amountOf(p), 0n)).toBe(1_000_000n);
    expect(checkSettle(voucher(), pieces, 'core', '2026-06-30')).toEqual({ ok: false, error: 'voucher_not_mature' });
    expect(checkSettle(voucher(), [...pieces.slice(0, 4), piece({ id: 'a2', start: 200_000n, end: 700_000n, status: 'frozen', frozenFrom: 'held' })], 'core', '2026-07-01')).toEqual({ ok: false, error: 'piece_frozen' });
  });

  it('finds gaps and overlaps', () => {
    expect(partitionsFace([{ start: 0n, end: 5n }, { start: 5n, end: 10n }], 10n)).toBe(true);
    expect(partitionsFace([{ start: 0n, end: 5n }, { start: 6n, end: 10n }], 10n)).toBe(false);
    expect(partitionsFace([{ start: 0n, end: 6n }, { start: 5n, end: 10n }], 10n)).toBe(false);
    expect(partitionsFace([{ start: 0n, end: 5n }], 10n)).toBe(false);
  });
});
