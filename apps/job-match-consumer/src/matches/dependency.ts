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

/**
 * The event was refused for good, by consent-audit (INVALID_ARGUMENT, FAILED_PRECONDITION,
 * PERMISSION_DENIED…) or by the ledger's entry rules applied here before sequencing (an entry the
 * ledger would refuse: INVALID_ARGUMENT): retrying the same call cannot help. `code` is the
 * dead-letter code; `by` says who refused, for the dead letter's detail.
 */
export class RefusedForGood extends Error {
  constructor(
    readonly status: number,
    readonly code: RefusalCode,
    readonly details: string,
    readonly by: 'consent-audit' | 'the ledger' = 'consent-audit',
  ) {
    super(`${by} refused the call (${code}): ${details}`);
    this.name = 'RefusedForGood';
  }
}

/** A step kept failing with retryable errors past the deadline of its context (JOB_MATCH_MAX_HOLD_SECONDS). */
export class HeldTooLong extends Error {
  constructor(readonly last: DependencyUnavailable) {
    super(`still failing when the hold bound ran out: ${last.message}`, { cause: last });
    this.name = 'HeldTooLong';
  }
}

/** The consumer lost its partitions or is stopping: stop retrying, leave the offsets uncommitted. */
export class ProcessingAborted extends Error {
  constructor() {
    super('processing aborted: the consumer is stopping or its assignment changed');
    this.name = 'ProcessingAborted';
  }
}

/** gRPC status numbers (grpc-js `status`), by name: this module stays free of the grpc runtime. */
const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** The refusals that will not change on retry: the answer is about the request, not the service's state. */
const REFUSALS = {
  3: 'refused_invalid_argument',
  5: 'refused_not_found',
  6: 'refused_already_exists',
  7: 'refused_permission_denied',
  9: 'refused_failed_precondition',
  11: 'refused_out_of_range',
  12: 'refused_unimplemented',
  16: 'refused_unauthenticated',
} as const;
export type RefusalCode = (typeof REFUSALS)[keyof typeof REFUSALS];

/**
 * Pure: the dead-letter code of a gRPC status that is a refusal, or undefined when the status
 * means "try again" (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED,
 * INTERNAL, UNKNOWN, DATA_LOSS: consent-audit's own database being down answers INTERNAL) or is
 * not a gRPC status at all (a timeout, a dropped connection).
 */
export function refusalCodeOf(status: unknown): RefusalCode | undefined {
  return typeof status === 'number' ? (REFUSALS as Record<number, RefusalCode>)[status] : undefined;
}

export function grpcStatusName(status: number): string {
  return GRPC_STATUS_NAMES[status] ?? `status ${status}`;
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
  /** epoch ms after which a retryable failure throws HeldTooLong instead of being retried */
  deadline?: number;
}

/** Waits `ms`, heartbeating, and throws ProcessingAborted as soon as the consumer should stop. */
export async function pause(ms: number, ctx: RetryContext): Promise<void> {
  const sleep = ctx.sleep ?? ((t: number) => new Promise((r) => setTimeout(r, t)));
  const until = Date.now() + ms;
  do {
    if (!ctx.shouldContinue()) throw new ProcessingAborted();
    await ctx.heartbeat().catch(() => undefined);
    await sleep(Math.min(1000, Math.max(0, until - Date.now())));
  } while (Date.now() < until);
  if (!ctx.shouldContinue()) throw new ProcessingAborted();
}

/**
 * Runs `step` until it succeeds. A DependencyUnavailable is retried after a backoff (heartbeating
 * meanwhile), until `ctx.deadline` if any (then HeldTooLong); anything else propagates. Throws
 * ProcessingAborted when the consumer should stop.
 */
export async function untilDone<T>(step: () => Promise<T>, ctx: RetryContext): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    if (!ctx.shouldContinue()) throw new ProcessingAborted();
    try {
      return await step();
    } catch (e) {
      if (!(e instanceof DependencyUnavailable)) throw e;
      if (ctx.deadline !== undefined && Date.now() >= ctx.deadline) throw new HeldTooLong(e);
      const wait = ctx.deadline !== undefined ? Math.min(backoffMs(attempt), Math.max(0, ctx.deadline - Date.now())) : backoffMs(attempt);
      ctx.onRetry(e, attempt + 1, wait);
      await pause(wait, ctx);
    }
  }
}
