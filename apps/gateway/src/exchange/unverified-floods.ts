import { NO_LEGAL_BASIS } from '@passerelle/contracts';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import type { AuditSink } from './audit-sink';
import { AUDIT_SINK } from './tokens';
import { aggregateOperation, UnverifiedCounts, UnverifiedSourceLimiter, type UnverifiedAggregate } from './unverified-sources';
import type { RateVerdict } from './rate-limit';

/** Injection token: unverified requests admitted per source and minute (GATEWAY_UNVERIFIED_PER_MINUTE). */
export const UNVERIFIED_PER_MINUTE = Symbol('UNVERIFIED_PER_MINUTE');

/** How long an aggregate window lasts before its entries are appended. */
export const AGGREGATE_WINDOW_MS = 60_000;

/**
 * The per-source limit on unverified requests and its aggregate ledger entries
 * (unverified-sources.ts). A window's aggregates are appended when it closes and at shutdown;
 * when the ledger refuses, they are counted into the next window, never dropped. A kill -9 loses
 * the open window's counts only: requests that were all refused and had no effect.
 */
@Injectable()
export class UnverifiedFloods implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly limiter: UnverifiedSourceLimiter;
  private readonly counts = new UnverifiedCounts(Date.now());
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(UNVERIFIED_PER_MINUTE) perMinute: number,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.limiter = new UnverifiedSourceLimiter(perMinute);
  }

  /**
   * One request from `source` that failed verification with `reason`. ok: it gets its own entry,
   * as any refusal. Not ok: answer 429; it is already counted into this window's aggregate.
   */
  refused(source: string, reason: string, nowMs: number): RateVerdict {
    const verdict = this.limiter.take(source, nowMs);
    if (!verdict.ok) this.counts.add(source, reason);
    return verdict;
  }

  onModuleInit() {
    this.timer = setInterval(() => void this.flush(), AGGREGATE_WINDOW_MS);
    this.timer.unref();
  }

  /** At shutdown, before the ledger's gRPC client closes (ClientsModule closes it in onApplicationShutdown). */
  async beforeApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
  }

  /** Appends the closed window's aggregates (one at a time behind the previous flush). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.counts.size === 0) return;
      const aggregates = this.counts.drain(Date.now());
      const failed: UnverifiedAggregate[] = [];
      for (const a of aggregates) {
        try {
          await this.audit.append({
            agency: '',
            kid: '',
            jti: '',
            purpose: '',
            operation: aggregateOperation(a),
            decision: 'DENY',
            reason: a.reason,
            subjects: [],
            fields: [],
            requestSha256: '',
            responseSha256: '',
            requestId: '',
            ...NO_LEGAL_BASIS,
          });
        } catch (err) {
          failed.push(a);
          this.logger.warn({ err, reason: a.reason, count: a.count }, 'aggregate entry of unverified requests not appended; counted into the next window');
        }
      }
      if (failed.length) this.counts.restore(failed);
    });
    return this.flushing;
  }
}
