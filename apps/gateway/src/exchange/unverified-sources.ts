import { takeToken, type RateVerdict, type TokenBucket } from './rate-limit';

/**
 * Unverified requests (no signature, a forged one, a replay...) are limited per source: the
 * remote address of the connection (the gateway does not trust X-Forwarded-For). Within the
 * limit each refusal gets its own ledger entry as before; beyond it the gateway answers 429
 * rate_limited and counts the refusal into an aggregate entry per (source, reason, window), so
 * the ledger stays complete without growing by one row per junk request (docs/ledger.md
 * "Aggregate entries"). Only failed verifications take tokens: a verified agency behind the
 * same address as a flood is never limited by it.
 */

/** Most sources tracked at once; beyond it the least recently seen is forgotten (a fresh, full bucket). */
export const MAX_TRACKED_SOURCES = 10_000;

export class UnverifiedSourceLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly perMinute: number) {}

  /** One refused, unverified request from `source` at `nowMs`. */
  take(source: string, nowMs: number): RateVerdict {
    const { verdict, bucket } = takeToken(this.buckets.get(source), this.perMinute, nowMs);
    this.buckets.delete(source); // re-inserted last: Map order is least recently seen first
    this.buckets.set(source, bucket);
    if (this.buckets.size > MAX_TRACKED_SOURCES) this.buckets.delete(this.buckets.keys().next().value as string);
    if (verdict.ok) return verdict;
    return {
      ok: false,
      retryAfterSeconds: verdict.retryAfterSeconds,
      message: `too many unverified requests from this address (at most ${this.perMinute} a minute); sign each request (docs/contract.md §3) and retry in ${verdict.retryAfterSeconds} s`,
    };
  }
}

/** One aggregate ledger entry's facts. */
export interface UnverifiedAggregate {
  source: string;
  /** the refusal code every counted request got from verification (missing_signature, bad_signature, ...) */
  reason: string;
  windowStartMs: number;
  windowEndMs: number;
  count: number;
}

export const AGGREGATE_OPERATION_PREFIX = 'aggregate:unverified';

/**
 * Pure: the `operation` of an aggregate entry, a documented structured string:
 * `aggregate:unverified source=<address> window=<ISO start>/<ISO end> count=<n>` (at most 150
 * characters with an IPv6 address). The entry's `reason` is the refusal code, `decision` DENY.
 */
export function aggregateOperation(a: UnverifiedAggregate): string {
  const source = a.source.replace(/[^0-9A-Za-z.:[\]_-]/g, '_').slice(0, 64) || 'unknown';
  return `${AGGREGATE_OPERATION_PREFIX} source=${source} window=${new Date(a.windowStartMs).toISOString()}/${new Date(a.windowEndMs).toISOString()} count=${a.count}`;
}

/** Pure: reads an aggregate entry's operation back (for auditors' tools and tests); undefined when it is not one. */
export function parseAggregateOperation(operation: string): Omit<UnverifiedAggregate, 'reason'> | undefined {
  const m = /^aggregate:unverified source=(\S+) window=(\S+)\/(\S+) count=([0-9]+)$/.exec(operation);
  if (!m) return undefined;
  return { source: m[1], windowStartMs: Date.parse(m[2]), windowEndMs: Date.parse(m[3]), count: Number(m[4]) };
}

/** Counts refusals beyond the limit per (source, reason) for the current window; bounded like the limiter. */
export class UnverifiedCounts {
  private counts = new Map<string, { source: string; reason: string; count: number }>();
  private windowStartMs: number;

  constructor(nowMs: number) {
    this.windowStartMs = nowMs;
  }

  add(source: string, reason: string): void {
    let key = `${source}\u0000${reason}`;
    if (!this.counts.has(key) && this.counts.size >= MAX_TRACKED_SOURCES) key = `*\u0000${reason}`; // overflow: counted, source "*"
    const row = this.counts.get(key) ?? { source: key.startsWith('*\u0000') ? '*' : source, reason, count: 0 };
    row.count += 1;
    this.counts.set(key, row);
  }

  get size(): number {
    return this.counts.size;
  }

  /** Closes the window at `nowMs`: its aggregates, and a fresh window starting there. */
  drain(nowMs: number): UnverifiedAggregate[] {
    const out = [...this.counts.values()].map((r) => ({ ...r, windowStartMs: this.windowStartMs, windowEndMs: nowMs }));
    this.counts = new Map();
    this.windowStartMs = nowMs;
    return out;
  }

  /** Puts back aggregates whose append failed: they are counted again into the current window. */
  restore(aggregates: UnverifiedAggregate[]): void {
    for (const a of aggregates) {
      this.windowStartMs = Math.min(this.windowStartMs, a.windowStartMs);
      const key = `${a.source}\u0000${a.reason}`;
      const row = this.counts.get(key) ?? { source: a.source, reason: a.reason, count: 0 };
      row.count += a.count;
      this.counts.set(key, row);
    }
  }
}
