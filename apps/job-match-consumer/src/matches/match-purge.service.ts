import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import { CONSUMER_CONFIG, type ConsumerConfig } from '../consumer.config';
import { JobMatchingConsent, purgeDue } from './job-matching-consent';
import { MatchesMetrics } from './matches.metrics';
import { MatchesRepository } from './matches.repository';

/**
 * Purges stored matches of claimants whose JOB_MATCHING consent to the publisher has not been in
 * force for more than MATCH_PURGE_GRACE_SECONDS (default 24 h). Until then, the gateway already
 * withholds them (reads check consent); the grace period lets a mistaken revocation be undone
 * without losing matches. Runs every MATCH_PURGE_INTERVAL_SECONDS; several consumer processes
 * running it at once is harmless (deletes are idempotent).
 */
@Injectable()
export class MatchPurgeService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repository: MatchesRepository,
    private readonly consent: JobMatchingConsent,
    private readonly metrics: MatchesMetrics,
  ) {}

  onApplicationBootstrap() {
    const every = this.config.MATCH_PURGE_INTERVAL_SECONDS;
    if (every === 0) return;
    this.timer = setInterval(() => void this.runOnce().catch((err) => this.logger.warn({ err: (err as Error).message }, 'match purge failed; will try again')), every * 1000);
    this.timer.unref();
  }

  /** One pass over every (subject, publisher) with stored matches. Returns the matches deleted. */
  runOnce(now = new Date()): Promise<number> {
    this.running ??= this.pass(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(now: Date): Promise<number> {
    const graceMs = this.config.MATCH_PURGE_GRACE_SECONDS * 1000;
    let after: { subject: string; publisher: string } | null = null;
    let deleted = 0;
    let subjects = 0;
    for (;;) {
      const page = await this.repository.subjectsPage(after, 500);
      if (page.length === 0) break;
      after = page[page.length - 1];
      const due: Array<{ subject: string; publisher: string }> = [];
      for (const s of page) {
        if (purgeDue(await this.consent.listFor(s.subject, s.publisher), s.oldestStoredAt, now, graceMs)) due.push(s);
      }
      const n = await this.repository.purge(due);
      deleted += n;
      subjects += due.length;
    }
    if (deleted > 0) {
      this.metrics.purged.inc(deleted);
      this.logger.info({ deleted, subjects, graceSeconds: this.config.MATCH_PURGE_GRACE_SECONDS }, 'purged job matches whose JOB_MATCHING consent ended');
    }
    return deleted;
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
