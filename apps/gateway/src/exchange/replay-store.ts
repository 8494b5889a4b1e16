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
  /** the gateway's clock when the request was checked, ms since the epoch */
  nowMs: number;
}

const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 1000;

/**
 * Remembers each (agency, jti) until its exp (plus the clock skew) has passed, in PostgreSQL so
 * that every gateway process on the database refuses the second use.
 *
 * One clock: "has this jti expired" is asked with the gateway's time, the same clock that checked
 * the signature's exp (signature-claims.ts), passed into each statement. With the database's
 * now() instead, a database clock ahead of the gateway's would free a jti the gateway still takes
 * as valid, and a replay would pass.
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
  firstUse(agency: string, jti: string, exp: number, nowMs: number): Promise<boolean> {
    return this.checks.submit({ agency, jti, expiresAt: exp + CLOCK_SKEW_SECONDS, nowMs }).then((r) => {
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
    // The earliest clock reading of the batch: a jti counts as expired only if it was for every request in it.
    const nowMs = Math.min(...uses.map((u) => u.nowMs));
    let won: Set<string>;
    try {
      const rows: Array<{ agency: string; jti: string }> = await this.dataSource.query(
        `INSERT INTO agency_request_jtis AS t (agency, jti, expires_at)
         SELECT u.agency, u.jti, to_timestamp(u.exp) FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(agency, jti, exp)
         ON CONFLICT (agency, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
           WHERE t.expires_at < to_timestamp($4::double precision / 1000)
         RETURNING t.agency, t.jti`,
        [unique.map((u) => u.agency), unique.map((u) => u.jti), unique.map((u) => u.expiresAt), nowMs],
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
         WHERE agency_request_jtis.expires_at < to_timestamp($4::double precision / 1000)
       RETURNING 1`,
      [u.agency, u.jti, u.expiresAt, u.nowMs],
    );
    return rows.length === 1;
  }

  /** Deletes rows expired (by the gateway's clock) over a minute ago, in small batches; returns how many. */
  async prune(nowMs = Date.now()): Promise<number> {
    let total = 0;
    for (;;) {
      const [, count] = (await this.dataSource.query(
        `DELETE FROM agency_request_jtis WHERE ctid IN (
           SELECT ctid FROM agency_request_jtis WHERE expires_at < to_timestamp($1::double precision / 1000) - interval '1 minute' LIMIT ${PRUNE_BATCH})`,
        [nowMs],
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
