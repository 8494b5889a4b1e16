import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Coalescer } from '../audit/coalescer';
import type { AgencyBucketStore, RateVerdict } from './rate-limit';

interface Take {
  agency: string;
  requestsPerMinute: number;
}

/**
 * The agencies' token buckets in PostgreSQL (table agency_rate_buckets), shared by every gateway
 * on the database: an agency limited to N a minute gets N a minute from the whole fleet.
 *
 * Exact, not approximate: each statement locks the rows it updates, so takes from two gateways
 * are serialised by the database; the takes of one event-loop turn are sent together, as ONE
 * statement (one round trip), with the wanted token count per agency. Tolerance: none beyond
 * the token bucket's own refill; cost: one round trip per event-loop turn with limited agencies.
 *
 * One clock: refills are computed with the database's clock (statement_timestamp()), not each
 * gateway's, so gateways whose clocks disagree cannot refill a bucket faster between them; a
 * clock going backwards never adds tokens (GREATEST on updated_ms), as in takeToken.
 *
 * When the database cannot be reached the take fails, and the request is answered 503 like a
 * failed replay check: a limit that cannot be checked is not waived.
 */
@Injectable()
export class PostgresBucketStore implements AgencyBucketStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** `nowMs` is ignored: the database's clock is the fleet's one clock for refills. */
  take(agency: string, requestsPerMinute: number): Promise<RateVerdict> {
    return this.takes.submit({ agency, requestsPerMinute });
  }

  /** Nothing to do: a row of an agency no longer limited is never read, and a per-request DELETE would cost a write. */
  async forget(): Promise<void> {}

  private readonly takes = new Coalescer<Take, RateVerdict>((batch) => this.takeAll(batch), 500);

  private async takeAll(batch: Take[]): Promise<RateVerdict[]> {
    // One row per agency (a statement may not update a row twice): how many tokens it wants now.
    const wanted = new Map<string, { capacity: number; count: number }>();
    for (const t of batch) {
      const w = wanted.get(t.agency) ?? { capacity: t.requestsPerMinute, count: 0 };
      w.capacity = Math.min(w.capacity, t.requestsPerMinute);
      w.count += 1;
      wanted.set(t.agency, w);
    }
    // rows locked in one order by every gateway: two batches naming the same agencies cannot deadlock
    const agencies = [...wanted.keys()].sort();
    const rows: Array<{ agency: string; tokens: number; granted: number }> = await this.dataSource.query(
      `WITH now AS (SELECT (extract(epoch FROM statement_timestamp()) * 1000)::bigint AS ms)
       INSERT INTO agency_rate_buckets AS b (agency, capacity, wanted, granted, tokens, updated_ms)
       SELECT w.agency, w.capacity, w.wanted, LEAST(w.wanted, w.capacity), w.capacity - LEAST(w.wanted, w.capacity), now.ms
         FROM unnest($1::text[], $2::int[], $3::int[]) AS w(agency, capacity, wanted), now
       ON CONFLICT (agency) DO UPDATE SET
         capacity = EXCLUDED.capacity,
         wanted = EXCLUDED.wanted,
         granted = LEAST(EXCLUDED.wanted, floor(LEAST(EXCLUDED.capacity::double precision,
           b.tokens + GREATEST(0, EXCLUDED.updated_ms - b.updated_ms) * EXCLUDED.capacity / 60000.0))),
         tokens = LEAST(EXCLUDED.capacity::double precision,
           b.tokens + GREATEST(0, EXCLUDED.updated_ms - b.updated_ms) * EXCLUDED.capacity / 60000.0)
           - LEAST(EXCLUDED.wanted, floor(LEAST(EXCLUDED.capacity::double precision,
             b.tokens + GREATEST(0, EXCLUDED.updated_ms - b.updated_ms) * EXCLUDED.capacity / 60000.0))),
         updated_ms = GREATEST(EXCLUDED.updated_ms, b.updated_ms)
       RETURNING b.agency, b.tokens, b.granted`,
      [agencies, agencies.map((a) => wanted.get(a)!.capacity), agencies.map((a) => wanted.get(a)!.count)],
    );
    const left = new Map(rows.map((r) => [r.agency, { tokens: Number(r.tokens), granted: Number(r.granted) }]));
    // The first `granted` takes of each agency in the batch pass; the rest are refused.
    return batch.map((t) => {
      const r = left.get(t.agency);
      if (!r) throw new Error(`no rate bucket returned for a limited agency`);
      if (r.granted > 0) {
        r.granted -= 1;
        return { ok: true };
      }
      const capacity = wanted.get(t.agency)!.capacity;
      const retryAfterSeconds = Math.max(1, Math.ceil(((1 - r.tokens) * 60_000) / capacity / 1000));
      return {
        ok: false,
        retryAfterSeconds,
        message: `this agency may send ${capacity} request(s) per minute; retry in ${retryAfterSeconds} s with a new signature`,
      };
    });
  }
}
