import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import { DataSource } from 'typeorm';
import { Coalescer } from '../audit/coalescer';
import { CLOCK_SKEW_SECONDS } from './signature-claims';

interface JtiUse {
  agency: string;
  jti: string;
  /** seconds since the epoch: exp + the clock skew */
  expiresAt: number;
}

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
   *
   * Checks made in the same event-loop turn (concurrent requests) go to PostgreSQL as ONE
   * statement (one round trip, one commit): every row keeps the single-row semantics, a jti
   * twice in one batch is a first use for the first caller only. If the batch statement fails,
   * each check is retried alone, so a failure stays with the request that caused it.
   */
  firstUse(agency: string, jti: string, exp: number): Promise<boolean> {
    return this.checks.submit({ agency, jti, expiresAt: exp + CLOCK_SKEW_SECONDS }).then((r) => {
      if (r instanceof Error) throw r;
      return r;
    });
  }

  private readonly checks = new Coalescer<JtiUse, boolean | Error>((uses) => this.firstUses(uses), 500);

  private async firstUses(uses: JtiUse[]): Promise<Array<boolean | Error>> {
    if (uses.length === 1) return [await this.firstUseAlone(uses[0])];
    const key = (u: { agency: string; jti: string }) => `${u.agency}\u0000${u.jti}`;
    const firstIndex = new Map<string, number>();
    uses.forEach((u, i) => firstIndex.has(key(u)) || firstIndex.set(key(u), i));
    const unique = [...firstIndex.values()].map((i) => uses[i]);
    let won: Set<string>;
    try {
      const rows: Array<{ agency: string; jti: string }> = await this.dataSource.query(
        `INSERT INTO agency_request_jtis AS t (agency, jti, expires_at)
         SELECT u.agency, u.jti, to_timestamp(u.exp) FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(agency, jti, exp)
         ON CONFLICT (agency, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
           WHERE t.expires_at < now()
         RETURNING t.agency, t.jti`,
        [unique.map((u) => u.agency), unique.map((u) => u.jti), unique.map((u) => u.expiresAt)],
      );
      won = new Set(rows.map(key));
    } catch {
      // Nothing of the statement was written: check each alone.
      const alone = await Promise.all(unique.map((u) => this.firstUseAlone(u).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
      won = new Set(unique.filter((u, i) => alone[i] === true).map(key));
      const failed = new Map(unique.flatMap((u, i) => (alone[i] instanceof Error ? [[key(u), alone[i] as Error]] : [])));
      return uses.map((u, i) => failed.get(key(u)) ?? (firstIndex.get(key(u)) === i && won.has(key(u))));
    }
    return uses.map((u, i) => firstIndex.get(key(u)) === i && won.has(key(u)));
  }

  private async firstUseAlone(u: JtiUse): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO agency_request_jtis (agency, jti, expires_at)
       VALUES ($1, $2, to_timestamp($3))
       ON CONFLICT (agency, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
         WHERE agency_request_jtis.expires_at < now()
       RETURNING 1`,
      [u.agency, u.jti, u.expiresAt],
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
