import { AuditBadRequest } from './audit-params';

/**
 * The operators' chart windows (GET /audit/aggregates): each a span of whole buckets ending
 * with the current one, so a chart of "the last hour" has twelve 5-minute bars. Pure.
 */
export const AGGREGATE_WINDOWS = {
  '1h': { bucketSeconds: 300, buckets: 12 },
  '1d': { bucketSeconds: 3600, buckets: 24 },
  '30d': { bucketSeconds: 86_400, buckets: 30 },
} as const;
export type AggregateWindow = keyof typeof AGGREGATE_WINDOWS;

/** What entries are counted by: never subjects, fields or operations' arguments. */
export const AGGREGATE_BY = ['agency', 'purpose', 'decision', 'reason'] as const;
export type AggregateBy = (typeof AGGREGATE_BY)[number];

export interface AggregateRange {
  window: AggregateWindow;
  by: AggregateBy;
  /** start of the first bucket (inclusive) */
  since: Date;
  /** end of the last bucket (exclusive) */
  until: Date;
  bucketSeconds: number;
  /** start of each bucket, oldest first */
  buckets: Date[];
}

type Query = Record<string, unknown> | undefined;

function oneOf<T extends string>(query: Query, name: string, allowed: readonly T[], code: string): T {
  const raw = query?.[name];
  if (raw === undefined || raw === '') throw new AuditBadRequest(`query parameter ${name} is required: one of ${allowed.join(', ')}`, code);
  if (Array.isArray(raw)) throw new AuditBadRequest(`query parameter ${name} is given more than once`, code);
  if (typeof raw !== 'string' || !(allowed as readonly string[]).includes(raw)) throw new AuditBadRequest(`query parameter ${name} must be one of ${allowed.join(', ')}`, code);
  return raw as T;
}

/** `window` and `by` checked (codes bad_window, bad_by), and the buckets they mean at `now`. */
export function aggregateRange(query: Query, now: Date): AggregateRange {
  const window = oneOf(query, 'window', Object.keys(AGGREGATE_WINDOWS) as AggregateWindow[], 'bad_window');
  const by = oneOf(query, 'by', AGGREGATE_BY, 'bad_by');
  const { bucketSeconds, buckets: n } = AGGREGATE_WINDOWS[window];
  const step = bucketSeconds * 1000;
  const current = Math.floor(now.getTime() / step) * step;
  const buckets = Array.from({ length: n }, (_, i) => new Date(current - (n - 1 - i) * step));
  return { window, by, since: buckets[0], until: new Date(current + step), bucketSeconds, buckets };
}

export interface AggregateCount {
  bucket: string;
  key: string;
  count: number;
}

export interface AggregateSeries {
  key: string;
  /** one count per bucket, in the order of `buckets` */
  counts: number[];
  total: number;
}

/** Sparse (bucket, key, count) rows as one dense series per key, keys sorted. Pure. */
export function toSeries(range: AggregateRange, rows: readonly AggregateCount[]): AggregateSeries[] {
  const index = new Map(range.buckets.map((b, i) => [b.getTime(), i]));
  const byKey = new Map<string, number[]>();
  for (const r of rows) {
    const i = index.get(Date.parse(r.bucket));
    if (i === undefined) continue;
    let counts = byKey.get(r.key);
    if (!counts) byKey.set(r.key, (counts = new Array<number>(range.buckets.length).fill(0)));
    counts[i] += r.count;
  }
  return [...byKey]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, counts]) => ({ key, counts, total: counts.reduce((n, c) => n + c, 0) }));
}
