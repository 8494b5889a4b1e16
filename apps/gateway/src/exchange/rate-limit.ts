import type { Registry } from '@passerelle/registry';

/**
 * Per-agency rate limits (registry `agencies[].rateLimit.requestsPerMinute`), as token buckets:
 * an agency may send a burst of up to `requestsPerMinute` requests, then one more every
 * 60 / requestsPerMinute seconds. Agencies without a `rateLimit` are not limited.
 *
 * Scope: the buckets are shared by every gateway process on the database (rate-bucket-store.ts,
 * table agency_rate_buckets), so N gateways behind a load balancer still allow an agency its
 * limit, not N × it. The check runs after the signature and replay checks, which already cost a
 * database round trip; the bucket takes of one event-loop turn share one more (batched). The
 * in-memory store below is for unit tests and tools.
 */

export interface TokenBucket {
  /** tokens left (fractional while refilling) */
  tokens: number;
  /** when `tokens` was last computed, ms since the epoch */
  updatedMs: number;
}

export type RateVerdict = { ok: true } | { ok: false; retryAfterSeconds: number; message: string };

/**
 * Pure: takes one token from `bucket` (or a full new bucket) at `nowMs`. Returns the verdict and
 * the bucket to keep. A clock going backwards never adds tokens.
 */
export function takeToken(bucket: TokenBucket | undefined, requestsPerMinute: number, nowMs: number): { verdict: RateVerdict; bucket: TokenBucket } {
  const capacity = requestsPerMinute;
  const perMs = requestsPerMinute / 60_000;
  const elapsed = bucket ? Math.max(0, nowMs - bucket.updatedMs) : 0;
  const tokens = bucket ? Math.min(capacity, bucket.tokens + elapsed * perMs) : capacity;
  const updatedMs = bucket ? Math.max(nowMs, bucket.updatedMs) : nowMs;
  if (tokens >= 1) return { verdict: { ok: true }, bucket: { tokens: tokens - 1, updatedMs } };
  const retryAfterSeconds = Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
  return {
    verdict: {
      ok: false,
      retryAfterSeconds,
      message: `this agency may send ${requestsPerMinute} request(s) per minute; retry in ${retryAfterSeconds} s with a new signature`,
    },
    bucket: { tokens, updatedMs },
  };
}

/** Where the buckets live: a port, so the gateways of a fleet can share them (rate-bucket-store.ts). */
export interface AgencyBucketStore {
  /** Takes one token from `agency`'s bucket of `requestsPerMinute` (a full new bucket if none). */
  take(agency: string, requestsPerMinute: number, nowMs: number): Promise<RateVerdict>;
  /** `agency` is no longer limited: its bucket may go. */
  forget(agency: string): Promise<void>;
}

/** Injection token of the gateway's AgencyBucketStore. */
export const AGENCY_BUCKET_STORE = Symbol('AGENCY_BUCKET_STORE');

/** Buckets in this process's memory, keyed by agency id (bounded by the registry's agencies): unit tests, tools. */
export class MemoryBucketStore implements AgencyBucketStore {
  private readonly buckets = new Map<string, TokenBucket>();

  async take(agency: string, requestsPerMinute: number, nowMs: number): Promise<RateVerdict> {
    const { verdict, bucket } = takeToken(this.buckets.get(agency), requestsPerMinute, nowMs);
    this.buckets.set(agency, bucket);
    return verdict;
  }

  async forget(agency: string): Promise<void> {
    this.buckets.delete(agency);
  }
}

/** The limit of the registry a request was checked with, applied through a bucket store. */
export class AgencyRateLimiter {
  constructor(private readonly store: AgencyBucketStore = new MemoryBucketStore()) {}

  /** One request from a verified `agency`, against the limit in the registry it was checked with. */
  async take(registry: Registry, agency: string, nowMs: number): Promise<RateVerdict> {
    const limit = registry.agency(agency)?.rateLimit?.requestsPerMinute;
    if (limit === undefined || !Number.isFinite(limit) || limit < 1) {
      await this.store.forget(agency);
      return { ok: true };
    }
    return this.store.take(agency, limit, nowMs);
  }
}
