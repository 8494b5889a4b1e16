import type { LedgerEntry } from './ledger';

/** The operator's filters on the ledger (every one optional; all must hold). */
export interface EntryFilter {
  agency?: string;
  purpose?: string;
  decision?: '' | 'PERMIT' | 'DENY';
  /** the exact operation, e.g. `graphql:claimants` or `rest:GET /audit/sth` (as the gateway's search matches it) */
  operation?: string;
  /** a gateway-internal pseudonym among the entry's subjects */
  subject?: string;
  /** ISO date-times, inclusive */
  from?: string;
  to?: string;
}

export function matchesFilter(e: LedgerEntry, f: EntryFilter): boolean {
  if (f.agency && e.agency !== f.agency) return false;
  if (f.purpose && e.purpose !== f.purpose) return false;
  if (f.decision && e.decision !== f.decision) return false;
  if (f.operation && e.operation !== f.operation) return false;
  if (f.subject && !(e.subjects ?? []).includes(f.subject)) return false;
  const t = Date.parse(e.time);
  if (f.from && !(t >= Date.parse(f.from))) return false;
  if (f.to && !(t <= Date.parse(f.to))) return false;
  return true;
}

/** Job-match DLQ records in the ledger: kafka operations that were refused. */
export function isDeadLetter(e: LedgerEntry): boolean {
  return String(e.operation).startsWith('kafka:') && e.decision === 'DENY';
}

export interface Series {
  /** bucket start times (ms), oldest first */
  buckets: number[];
  /** one row per key (agency, purpose, decision…), counts per bucket */
  rows: { key: string; counts: number[] }[];
  bucketMs: number;
}

/** The chart windows the gateway counts over (GET /audit/aggregates?window=…). */
export const AGGREGATE_WINDOWS = { '1h': 12, '1d': 24, '30d': 30 } as const;
export type AggregateWindow = keyof typeof AGGREGATE_WINDOWS;

/** GET /audit/aggregates: the ledger's counts per bucket, one dense series per key. */
export interface AggregatesAnswer {
  window: AggregateWindow;
  by: string;
  since: string;
  until: string;
  bucket_seconds: number;
  buckets: string[];
  series: { key: string; counts: number[]; total: number }[];
  total: number;
}

/** GET /audit/pipeline: the job-match consumer's figures, as the gateway read them. */
export interface PipelineAnswer {
  consumed: number;
  stored: number;
  duplicates: number;
  dead_lettered: { total: number; by_code: Record<string, number> };
  lag: { total: number; partitions: { topic: string; partition: string; lag: number }[] };
  read_at: string;
}

/** An aggregates answer as chart series, `empty` naming the empty key (e.g. an unsigned request's agency). */
export function aggregatesSeries(a: AggregatesAnswer, empty = '—'): Series {
  return {
    buckets: a.buckets.map((b) => Date.parse(b)),
    bucketMs: a.bucket_seconds * 1000,
    rows: a.series.map((r) => ({ key: r.key || empty, counts: [...r.counts] })),
  };
}

/** Refusals by reason over the whole window (the `ok` of permitted exchanges left out), most frequent first. */
export function reasonBars(a: AggregatesAnswer): { reason: string; count: number }[] {
  return a.series
    .filter((r) => r.key !== 'ok' && r.total > 0)
    .map((r) => ({ reason: r.key, count: r.total }))
    .sort((x, y) => y.count - x.count || x.reason.localeCompare(y.reason));
}
