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
  /** one row per key (agency or purpose), counts per bucket */
  rows: { key: string; counts: number[] }[];
  bucketMs: number;
}

const STEPS = [60_000, 5 * 60_000, 15 * 60_000, 3600_000, 6 * 3600_000, 86_400_000, 7 * 86_400_000];

/** Counts entries per key over time, in at most `maxBuckets` equal buckets of a round size. */
export function countOverTime(entries: readonly LedgerEntry[], keyOf: (e: LedgerEntry) => string, maxBuckets = 12): Series {
  const times = entries.map((e) => Date.parse(e.time)).filter((t) => Number.isFinite(t));
  if (!times.length) return { buckets: [], rows: [], bucketMs: STEPS[0] };
  const min = Math.min(...times);
  const max = Math.max(...times);
  const bucketMs = STEPS.find((s) => Math.floor(max / s) - Math.floor(min / s) + 1 <= maxBuckets) ?? STEPS[STEPS.length - 1];
  const first = Math.floor(min / bucketMs) * bucketMs;
  const n = Math.floor(max / bucketMs) - Math.floor(min / bucketMs) + 1;
  const buckets = Array.from({ length: n }, (_, i) => first + i * bucketMs);
  const rows = new Map<string, number[]>();
  for (const e of entries) {
    const t = Date.parse(e.time);
    if (!Number.isFinite(t)) continue;
    const key = keyOf(e) || '—';
    let row = rows.get(key);
    if (!row) rows.set(key, (row = new Array<number>(n).fill(0)));
    row[Math.floor((t - first) / bucketMs)]++;
  }
  return { buckets, bucketMs, rows: [...rows].map(([key, counts]) => ({ key, counts })).sort((a, b) => a.key.localeCompare(b.key)) };
}

/** Denials by reason, most frequent first. */
export function denialsByReason(entries: readonly LedgerEntry[]): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const e of entries) if (e.decision === 'DENY') counts.set(e.reason || '—', (counts.get(e.reason || '—') ?? 0) + 1);
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

export interface PipelineFigures {
  consumed?: number;
  stored?: number;
  deadLettered?: number;
  lag?: number;
}

/**
 * Reads the job-match pipeline's figures from Prometheus text, whichever process exposes them:
 * sums every series of a metric whose name says what it counts.
 */
export function pipelineFromMetrics(text: string): PipelineFigures {
  const out: PipelineFigures = {};
  const add = (k: keyof PipelineFigures, v: number) => (out[k] = (out[k] ?? 0) + v);
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const name = m[1];
    const value = Number(m[3]);
    if (!Number.isFinite(value) || !/job_?match|matches/.test(name)) continue;
    if (/dead_?letter|dlq/.test(name)) add('deadLettered', value);
    else if (/lag/.test(name)) add('lag', value);
    else if (/stored|persisted/.test(name)) add('stored', value);
    else if (/consumed|received/.test(name)) add('consumed', value);
  }
  return out;
}
