import type { Registry } from '@passerelle/registry';

/**
 * Per-agency rate limits (registry `agencies[].rateLimit.requestsPerMinute`), as token buckets:
 * an agency may send a burst of up to `requestsPerMinute` requests, then one more every
 * 60 / requestsPerMinute seconds. Agencies without a `rateLimit` are not limited.
 *
 * Scope: the buckets live in the memory of one gateway process. With N gateway processes
 * behind a load balancer an agency may reach up to N × its limit; a restart refills every
 * bucket. That is the documented trade-off (docs/reliability.md): the check costs no database
 * round trip, so a flood is refused before it reaches PostgreSQL (replay store) at all.
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
      message: `this agency may send ${requestsPerMinute} request(s) per minute to this gateway; retry in ${retryAfterSeconds} s with a new signature`,
    },
    bucket: { tokens, updatedMs },
  };
}

/** The buckets of one gateway process, keyed by agency id (bounded by the registry's agencies). */
export class AgencyRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  /** One request from a verified `agency`, against the limit in the registry it was checked with. */
  take(registry: Registry, agency: string, nowMs: number): RateVerdict {
    const limit = registry.agency(agency)?.rateLimit?.requestsPerMinute;
    if (limit === undefined || !Number.isFinite(limit) || limit < 1) {
      this.buckets.delete(agency);
      return { ok: true };
    }
    const { verdict, bucket } = takeToken(this.buckets.get(agency), limit, nowMs);
    this.buckets.set(agency, bucket);
    return verdict;
  }
}
