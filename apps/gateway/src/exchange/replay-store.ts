import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import { DataSource } from 'typeorm';
import { CLOCK_SKEW_SECONDS } from './signature-claims';

const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 1000;

/**
 * Remembers each (agency, jti) until its exp (plus the clock skew) has passed, in PostgreSQL so
 * that every gateway process on the database refuses the second use.
 */
@Injectable()
export class ReplayStore implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Records the first use of a jti. Returns false when it was already used and has not yet
   * expired. Atomic: of two concurrent first uses exactly one wins.
   */
  async firstUse(agency: string, jti: string, exp: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO agency_request_jtis (agency, jti, expires_at)
       VALUES ($1, $2, to_timestamp($3))
       ON CONFLICT (agency, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
         WHERE agency_request_jtis.expires_at < now()
       RETURNING 1`,
      [agency, jti, exp + CLOCK_SKEW_SECONDS],
    );
    return rows.length === 1;
  }

  /** Deletes expired rows in small batches; returns how many. */
  async prune(): Promise<number> {
    let total = 0;
    for (;;) {
      const [, count] = (await this.dataSource.query(
        `DELETE FROM agency_request_jtis WHERE ctid IN (
           SELECT ctid FROM agency_request_jtis WHERE expires_at < now() - interval '1 minute' LIMIT ${PRUNE_BATCH})`,
      )) as [unknown, number];
      total += count ?? 0;
      if (!count || count < PRUNE_BATCH) return total;
    }
  }

  onModuleInit() {
    this.timer = setInterval(() => {
      this.prune().then(
        (n) => n > 0 && this.logger.debug({ pruned: n }, 'expired request jtis pruned'),
        (err: unknown) => this.logger.warn({ err }, 'pruning expired request jtis failed; will retry'),
      );
    }, PRUNE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy() {
    if (this.timer) clearInterval(this.timer);
  }
}
