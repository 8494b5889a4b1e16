import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { consentAudit } from '@passerelle/contracts';
import { InvalidArgument } from './ledger-errors';

/** What an operator may count entries by. Never subjects nor fields: counts, not people. */
export const AGGREGATE_DIMENSIONS = ['agency', 'purpose', 'decision', 'reason'] as const;
export type AggregateDimension = (typeof AGGREGATE_DIMENSIONS)[number];

/** At most this many time buckets per request: a chart, not an export. */
export const MAX_AGGREGATE_BUCKETS = 1000;

/**
 * The SQL expression of each dimension, from this closed table only (never from the request).
 * `reason` has no column of its own: it is read from the entry's canonical JSON, which is what
 * was hashed into the leaf, so the count is exactly what a verifier would find.
 */
const KEY_SQL: Record<AggregateDimension, string> = {
  agency: 'agency',
  purpose: 'purpose',
  decision: 'decision',
  reason: `(canonical::jsonb ->> 'reason')`,
};

export interface AggregateQuery {
  since: Date;
  until: Date;
  by: AggregateDimension;
  bucketSeconds: number;
}

/** Pure: the request checked, each refusal naming the parameter (values are not echoed). */
export function aggregateQuery(req: consentAudit.AggregatesRequest): AggregateQuery {
  if (!(AGGREGATE_DIMENSIONS as readonly string[]).includes(req.by)) throw new InvalidArgument(`by must be one of ${AGGREGATE_DIMENSIONS.join(', ')}`);
  const since = isoDateTime(req.since, 'since');
  const until = isoDateTime(req.until, 'until');
  if (until <= since) throw new InvalidArgument('until must be after since');
  const bucketSeconds = Number(req.bucketSeconds);
  if (!Number.isSafeInteger(bucketSeconds) || bucketSeconds < 1) throw new InvalidArgument('bucket_seconds must be a whole number ≥ 1');
  const buckets = Math.ceil((until.getTime() - since.getTime()) / 1000 / bucketSeconds) + 1;
  if (buckets > MAX_AGGREGATE_BUCKETS) throw new InvalidArgument(`since..until spans ${buckets} buckets of bucket_seconds; at most ${MAX_AGGREGATE_BUCKETS}`);
  return { since, until, by: req.by as AggregateDimension, bucketSeconds };
}

function isoDateTime(value: string, name: string): Date {
  const d = new Date(value);
  if (!value || !/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(d.getTime())) {
    throw new InvalidArgument(`${name} must be an ISO-8601 date-time with a time zone`);
  }
  return d;
}

/** The grouping statement ($1 bucket seconds, $2 since, $3 until): a plain range on `time`, which its index serves. */
export function aggregatesSql(by: AggregateDimension): string {
  return `SELECT date_bin(make_interval(secs => $1), time, TIMESTAMPTZ '1970-01-01T00:00:00Z') AS bucket, ${KEY_SQL[by]} AS key, count(*) AS n
    FROM ledger_entries
    WHERE time >= $2 AND time < $3
    GROUP BY 1, 2
    ORDER BY 1, 2`;
}

/**
 * Counts of ledger entries per time bucket and per value of one dimension, grouped in SQL over
 * a time range the `time` index serves (ledger_entries_time_idx). Read-only.
 */
@Injectable()
export class LedgerAggregates {
  constructor(private readonly dataSource: DataSource) {}

  async aggregates(req: consentAudit.AggregatesRequest): Promise<consentAudit.AggregatesResponse> {
    const q = aggregateQuery(req);
    const rows: Array<{ bucket: Date; key: string | null; n: string }> = await this.dataSource.query(aggregatesSql(q.by), [q.bucketSeconds, q.since.toISOString(), q.until.toISOString()]);
    return { counts: rows.map((r) => ({ bucket: new Date(r.bucket).toISOString(), key: r.key ?? '', count: Number(r.n) })) };
  }
}
