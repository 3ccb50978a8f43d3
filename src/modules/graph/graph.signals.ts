import { distinctCounterparties, type TransactionGraph } from './graph.model.ts';

/**
 * Measurements per account over the transaction graph of a window, before they are turned into
 * strengths: fan-in and fan-out, transfers split between the same two accounts, money passed
 * through, and devices shared between payers. Each is a pure function of the graph and settings.
 */
export interface SignalSettings {
  /** Transfers between the same payer and payee this close together count as one split payment. */
  readonly splitWindowMs: number;
  /** Money leaving this soon after money arrived counts as passed through. */
  readonly passThroughWindowMs: number;
  /** An incoming amount that leaves again less at most this fraction is "the same money, less a cut". */
  readonly passThroughToleranceBp: number;
  /** Incoming amounts remembered per account while matching; older ones are dropped first. */
  readonly passThroughQueueMax: number;
  /** A forward this close to the incoming amount (and no more) links payer, account and payee into a ring. */
  readonly passThroughLinkToleranceBp: number;
  /** Share of incoming money forwarded from which an account's pass-through links count. */
  readonly passThroughShareMin: number;
  /** Transfers between one pair within the split window from which the pair counts as linked. */
  readonly splitMinTransfers: number;
  /**
   * Transfers of one split are this close in amount (basis points of the larger): structuring cuts a
   * sum into like pieces, while a customer's several purchases at one shop on one day differ.
   */
  readonly splitAmountToleranceBp: number;
  /** Earlier transfers of the pair's window compared with each transfer, newest first. */
  readonly splitCompareMax: number;
}

export interface Measurements {
  readonly inCount: Int32Array;
  readonly outCount: Int32Array;
  readonly inDistinct: Int32Array;
  readonly outDistinct: Int32Array;
  /** Most transfers of like amounts between one pair (either direction of the account) within the split window. */
  readonly splitMax: Int32Array;
  /**
   * Money forwarded within the pass-through window, as a share of the larger of money received and
   * money paid out over the whole window, 0..1.
   */
  readonly forwardedShare: Float64Array;
  /** Incoming transfers whose amount left again within the window, in one piece or several, less at most the tolerance. */
  readonly similarForwards: Int32Array;
  /** Most other payers seen on one device this account also paid from. */
  readonly deviceSharers: Int32Array;
  /**
   * Pairs of accounts joined by suspicious money, flat [a, b, a, b, …]: split payments between them,
   * and money passed on (payer → account and account → payee). Rings grow along these, not along
   * every transfer.
   */
  readonly splitLinks: readonly number[];
  readonly passThroughLinks: readonly number[];
}

export function measure(graph: TransactionGraph, settings: SignalSettings): Measurements {
  const n = graph.accountCount;
  const inCount = new Int32Array(n);
  const outCount = new Int32Array(n);
  const inDistinct = new Int32Array(n);
  const outDistinct = new Int32Array(n);
  const scratch = new Int32Array(n).fill(-1);
  for (let a = 0; a < n; a++) {
    outCount[a] = (graph.outStart[a + 1] as number) - (graph.outStart[a] as number);
    inCount[a] = (graph.inStart[a + 1] as number) - (graph.inStart[a] as number);
    outDistinct[a] = distinctCounterparties(graph, a, 'out', scratch, 2 * a);
    inDistinct[a] = distinctCounterparties(graph, a, 'in', scratch, 2 * a + 1);
  }
  const splitLinks: number[] = [];
  const passThroughLinks: number[] = [];
  const passed = passThrough(graph, settings, passThroughLinks);
  return {
    inCount, outCount, inDistinct, outDistinct, splitMax: splits(graph, settings, splitLinks),
    forwardedShare: passed.forwardedShare, similarForwards: passed.similarForwards, deviceSharers: deviceSharers(graph), splitLinks, passThroughLinks,
  };
}

/**
 * For every ordered pair, the most transfers of like amounts (within the tolerance of each other)
 * inside one window; credited to both accounts. Pairs that reach `splitMinTransfers` such transfers
 * are added to `links`, once per pair.
 */
export function splits(graph: TransactionGraph, settings: Pick<SignalSettings, 'splitWindowMs' | 'splitMinTransfers' | 'splitAmountToleranceBp' | 'splitCompareMax'>, links: number[]): Int32Array {
  const result = new Int32Array(graph.accountCount);
  const order = Int32Array.from({ length: graph.edgeCount }, (_, e) => e);
  const { source, target, atMs, amountMinor } = graph;
  const tolerance = 10_000n - BigInt(settings.splitAmountToleranceBp);
  order.sort((x, y) => (source[x] as number) - (source[y] as number) || (target[x] as number) - (target[y] as number) || (atMs[x] as number) - (atMs[y] as number));
  let groupStart = 0;
  let linked = false;
  // Two pointers inside each pair's time-sorted group: `from` is where the window ending at i starts.
  let from = 0;
  for (let i = 0; i < order.length; i++) {
    const e = order[i] as number;
    const first = order[groupStart] as number;
    if (source[e] !== source[first] || target[e] !== target[first]) (groupStart = from = i), (linked = false);
    while ((atMs[e] as number) - (atMs[order[from] as number] as number) > settings.splitWindowMs) from += 1;
    const s = source[e] as number;
    const t = target[e] as number;
    if (s === t) continue;
    // Transfers in the window ending here whose amount is like this one's (the smaller at least
    // (1 − tolerance) of the larger), this one included; only the newest few are compared.
    const amount = amountMinor[e] as bigint;
    let alike = 1;
    for (let j = i - 1; j >= from && i - j <= settings.splitCompareMax; j--) {
      const other = amountMinor[order[j] as number] as bigint;
      const [small, large] = other < amount ? [other, amount] : [amount, other];
      if (small * 10_000n >= tolerance * large) alike += 1;
    }
    if (alike >= settings.splitMinTransfers && !linked) (linked = true), links.push(s, t);
    if (alike > (result[s] as number)) result[s] = alike;
    if (alike > (result[t] as number)) result[t] = alike;
  }
  return result;
}

/**
 * Walks each account's incoming and outgoing transfers in time order. Incoming money waits in a queue
 * for the pass-through window; each outgoing transfer draws on the waiting money of its currency,
 * oldest first. What it draws counts as forwarded; an incoming transfer drawn down to within the
 * tolerance of nothing counts as passed on in a similar amount (the same money, less a cut).
 */
export function passThrough(graph: TransactionGraph, settings: SignalSettings, links: number[]) {
  const n = graph.accountCount;
  const forwardedShare = new Float64Array(n);
  const similarForwards = new Int32Array(n);
  const { amountMinor, atMs, currency, inEdges, outEdges, inStart, outStart } = graph;
  const tolerance = BigInt(settings.passThroughToleranceBp);
  const linkTolerance = BigInt(settings.passThroughLinkToleranceBp);
  // The waiting incoming transfers of the account at hand, as parallel arrays reused for every account.
  const capacity = settings.passThroughQueueMax;
  const waitingAt = new Float64Array(capacity);
  const waitingCurrency = new Int32Array(capacity);
  const waitingAmount = new BigInt64Array(capacity);
  const waitingLeft = new BigInt64Array(capacity);
  const waitingPayer = new Int32Array(capacity);
  const waitingDone = new Uint8Array(capacity);
  for (let a = 0; a < n; a++) {
    const inTo = inStart[a + 1] as number;
    const outTo = outStart[a + 1] as number;
    if (inTo === inStart[a] || outTo === outStart[a]) continue;
    // A ring buffer: `head` is the oldest waiting entry, `size` how many wait.
    let head = 0;
    let size = 0;
    let received = 0n;
    let sent = 0n;
    let forwarded = 0n;
    let similar = 0;
    const passedOn: number[] = [];
    let i = inStart[a] as number;
    for (let o = outStart[a] as number; o < outTo; o++) {
      const out = outEdges[o] as number;
      const outAt = atMs[out] as number;
      // Incoming money up to and including this instant joins the queue first.
      for (; i < inTo && (atMs[inEdges[i] as number] as number) <= outAt; i++) {
        const e = inEdges[i] as number;
        if (graph.source[e] === a) continue;
        received += amountMinor[e] as bigint;
        if (size === capacity) head = (head + 1) % capacity, size -= 1;
        const slot = (head + size) % capacity;
        waitingAt[slot] = atMs[e] as number;
        waitingCurrency[slot] = currency[e] as number;
        waitingAmount[slot] = amountMinor[e] as bigint;
        waitingLeft[slot] = amountMinor[e] as bigint;
        waitingPayer[slot] = graph.source[e] as number;
        waitingDone[slot] = 0;
        size += 1;
      }
      if (graph.target[out] === a) continue;
      while (size > 0 && outAt - (waitingAt[head] as number) > settings.passThroughWindowMs) head = (head + 1) % capacity, size -= 1;
      const payee = graph.target[out] as number;
      const amount = amountMinor[out] as bigint;
      sent += amount;
      let need = amount;
      for (let k = 0; k < size && need > 0n; k++) {
        const slot = (head + k) % capacity;
        const left = waitingLeft[slot] as bigint;
        if (waitingCurrency[slot] !== currency[out] || left <= 0n) continue;
        const take = left < need ? left : need;
        waitingLeft[slot] = left - take;
        need -= take;
        forwarded += take;
        // An incoming amount that has now left in one piece or several, less at most the tolerance, was
        // passed on; a larger payment that merely swept it up along with other money was not.
        const whole = waitingAmount[slot] as bigint;
        if (!waitingDone[slot] && (left - take) * 10_000n <= tolerance * whole && amount * 10_000n <= (10_000n + tolerance) * whole) {
          waitingDone[slot] = 1;
          similar += 1;
          if ((left - take) * 10_000n <= linkTolerance * whole) passedOn.push(waitingPayer[slot] as number, a, a, payee);
        }
      }
    }
    for (; i < inTo; i++) {
      const e = inEdges[i] as number;
      if (graph.source[e] !== a) received += amountMinor[e] as bigint;
    }
    // Measured against the larger of money in and money out: an account that pays out far more than
    // it received spends money of its own, and what it received is only a small part of what it
    // pays; taking its payments from the money received first would call everyday spending of a
    // transfer from a friend "passed through". A mule keeps only a cut, so for it the two are alike.
    const base = received > sent ? received : sent;
    if (base > 0n) forwardedShare[a] = Number((forwarded * 10_000n) / base) / 10_000;
    similarForwards[a] = similar;
    // Only an account that passes on most of what it gets links its payers and payees into a ring.
    if ((forwardedShare[a] as number) >= settings.passThroughShareMin) for (const account of passedOn) links.push(account);
  }
  return { forwardedShare, similarForwards };
}

/** For each account, the most other payers that used one of the devices it paid from. */
export function deviceSharers(graph: TransactionGraph): Int32Array {
  const result = new Int32Array(graph.accountCount);
  if (graph.deviceCount === 0) return result;
  const payers = Array.from({ length: graph.deviceCount }, () => new Set<number>());
  for (let e = 0; e < graph.edgeCount; e++) {
    const device = graph.device[e] as number;
    if (device >= 0) (payers[device] as Set<number>).add(graph.source[e] as number);
  }
  for (const set of payers) {
    if (set.size < 2) continue;
    for (const account of set) result[account] = Math.max(result[account] as number, set.size - 1);
  }
  return result;
}
