/**
 * A dependency (consent-audit, PostgreSQL, Kafka) failed: the event is good, the dependency is
 * not, so the event is retried with backoff and never dead-lettered for it.
 */
export class DependencyUnavailable extends Error {
  constructor(
    readonly dependency: 'consent-audit' | 'database' | 'kafka',
    cause: unknown,
  ) {
    super(`${dependency} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DependencyUnavailable';
  }
}

/** The consumer lost its partitions or is stopping: stop retrying, leave the offsets uncommitted. */
export class ProcessingAborted extends Error {
  constructor() {
    super('processing aborted: the consumer is stopping or its assignment changed');
    this.name = 'ProcessingAborted';
  }
}

/** Exponential backoff with full jitter, capped: 200 ms, 400 ms … 15 s. */
export function backoffMs(attempt: number, random = Math.random): number {
  const cap = Math.min(15_000, 200 * 2 ** Math.min(attempt, 10));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export interface RetryContext {
  /** false once the consumer stops or the batch is stale (rebalanced away) */
  shouldContinue(): boolean;
  /** keeps the group membership alive while waiting */
  heartbeat(): Promise<void>;
  onRetry(err: DependencyUnavailable, attempt: number, waitMs: number): void;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs `step` until it succeeds. A DependencyUnavailable is retried after a backoff (heartbeating
 * meanwhile); anything else propagates. Throws ProcessingAborted when the consumer should stop.
 */
export async function untilDone<T>(step: () => Promise<T>, ctx: RetryContext): Promise<T> {
  const sleep = ctx.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (let attempt = 0; ; attempt++) {
    if (!ctx.shouldContinue()) throw new ProcessingAborted();
    try {
      return await step();
    } catch (e) {
      if (!(e instanceof DependencyUnavailable)) throw e;
      const wait = backoffMs(attempt);
      ctx.onRetry(e, attempt + 1, wait);
      const until = Date.now() + wait;
      while (Date.now() < until) {
        if (!ctx.shouldContinue()) throw new ProcessingAborted();
        await ctx.heartbeat().catch(() => undefined);
        await sleep(Math.min(1000, Math.max(0, until - Date.now())));
      }
    }
  }
}
