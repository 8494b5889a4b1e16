import { protectOneWay, protectTwoWay } from '../statistics/suppression';

/**
 * What the relocation initiative produced (issue 16), protected like statistics
 * (docs/statistics.md): counts from 1 to 9 never published, complementary suppression so that no
 * suppressed cell can be recovered from the published cells and the margins (the one-way tables
 * of the same period). Pure.
 *
 * Differencing across periods is closed off by the period grid: a period is one calendar quarter
 * (`2026-Q4`), and quarters never overlap, so no answer is the sum or difference of others. Across
 * groupings, every two-way table is protected against the one-way tables of its dimensions, in one
 * canonical orientation (OUTCOME_DIMENSIONS order), as statistics does. At most two dimensions:
 * a three-way table would need a protection this module does not have, so it is not published.
 */
export const OUTCOME_DIMENSIONS = ['fromProvince', 'toProvince', 'noc', 'status'] as const;
export type OutcomeDimension = (typeof OUTCOME_DIMENSIONS)[number];
export const OUTCOME_MEASURES = ['referrals', 'acceptances', 'moves', 'jobs'] as const;
export type OutcomeMeasure = (typeof OUTCOME_MEASURES)[number];
export const MAX_OUTCOME_DIMENSIONS = 2;

/** Referrals made in the period, counted by where they went, the occupation and how far they got. */
export interface OutcomeRow {
  fromProvince: string;
  toProvince: string;
  noc: string;
  /** the status now */
  status: string;
  referrals: number;
  /** reached ACCEPTED (even if withdrawn later) */
  acceptances: number;
  /** reached RELOCATED */
  moves: number;
  /** reached EMPLOYED */
  jobs: number;
}

export interface OutcomeCell {
  fromProvince: string | null;
  toProvince: string | null;
  noc: string | null;
  status: string | null;
  /** null when suppressed */
  referrals: number | null;
  acceptances: number | null;
  moves: number | null;
  jobs: number | null;
  suppressed: boolean;
}

export type Quarter = { id: string; from: Date; to: Date };

/** `YYYY-Qn` → [first instant, first instant of the next quarter), UTC; null when malformed. */
export function quarterOf(period: unknown): Quarter | null {
  const m = typeof period === 'string' ? /^(\d{4})-Q([1-4])$/.exec(period) : null;
  if (!m) return null;
  const year = Number(m[1]);
  const q = Number(m[2]);
  if (year < 2000 || year > 2999) return null;
  return { id: period as string, from: new Date(Date.UTC(year, (q - 1) * 3, 1)), to: new Date(Date.UTC(year, q * 3, 1)) };
}

export type GroupByCheck = { ok: true; value: OutcomeDimension[] } | { ok: false; reason: string };

export function checkOutcomeGroupBy(groupBy: readonly unknown[] | null | undefined): GroupByCheck {
  const given = [...new Set(groupBy ?? [])];
  const bad = given.find((d) => !(OUTCOME_DIMENSIONS as readonly unknown[]).includes(d));
  if (bad !== undefined) return { ok: false, reason: `groupBy may hold only ${OUTCOME_DIMENSIONS.join(', ')}` };
  if (given.length > MAX_OUTCOME_DIMENSIONS) return { ok: false, reason: `groupBy may hold at most ${MAX_OUTCOME_DIMENSIONS} dimensions (a finer table cannot be protected against differencing)` };
  // canonical order: (A, B) and (B, A) are the same protected table
  return { ok: true, value: OUTCOME_DIMENSIONS.filter((d) => given.includes(d)) };
}

const keyOf = (row: OutcomeRow, dims: readonly OutcomeDimension[]) => dims.map((d) => row[d]).join('\u0000');
const sum = (rows: readonly OutcomeRow[], m: OutcomeMeasure) => rows.reduce((n, r) => n + r[m], 0);

function cell(dims: readonly OutcomeDimension[], values: readonly string[], counts: Record<OutcomeMeasure, number>, suppressed: boolean): OutcomeCell {
  const at = (d: OutcomeDimension) => (dims.includes(d) ? values[dims.indexOf(d)] : null);
  const show = (m: OutcomeMeasure) => (suppressed ? null : counts[m]);
  return { fromProvince: at('fromProvince'), toProvince: at('toProvince'), noc: at('noc'), status: at('status'), referrals: show('referrals'), acceptances: show('acceptances'), moves: show('moves'), jobs: show('jobs'), suppressed };
}

/**
 * The protected cells of `rows` grouped by `dims` (0, 1 or 2 dimensions, canonical order). Each
 * measure is protected on its own and a cell is published only when no measure suppresses it
 * (more suppression never makes a suppressed cell recoverable).
 */
export function protectOutcomes(rows: readonly OutcomeRow[], dims: readonly OutcomeDimension[]): OutcomeCell[] {
  if (dims.length > MAX_OUTCOME_DIMENSIONS) throw new Error('at most two dimensions');
  if (dims.length === 0) {
    const counts = Object.fromEntries(OUTCOME_MEASURES.map((m) => [m, sum(rows, m)])) as Record<OutcomeMeasure, number>;
    const suppressed = OUTCOME_MEASURES.some((m) => counts[m] > 0 && counts[m] < 10);
    return [cell(dims, [], counts, suppressed)];
  }
  if (dims.length === 1) {
    const d = dims[0];
    const keys = [...new Set(rows.map((r) => r[d]))].sort();
    const counts = keys.map((k) => Object.fromEntries(OUTCOME_MEASURES.map((m) => [m, sum(rows.filter((r) => r[d] === k), m)])) as Record<OutcomeMeasure, number>);
    const hidden = OUTCOME_MEASURES.map((m) => protectOneWay(keys.map((k, i) => [k, counts[i][m]] as [string, number])));
    return keys.map((k, i) => cell(dims, [k], counts[i], hidden.some((h) => h[i].suppressed)));
  }
  const [a, b] = dims;
  const rowKeys = [...new Set(rows.map((r) => r[a]))].sort();
  const colKeys = [...new Set(rows.map((r) => r[b]))].sort();
  const byCell = new Map<string, OutcomeRow[]>();
  for (const r of rows) byCell.set(keyOf(r, dims), [...(byCell.get(keyOf(r, dims)) ?? []), r]);
  const at = (i: number, j: number) => byCell.get(`${rowKeys[i]}\u0000${colKeys[j]}`) ?? [];
  const hidden = OUTCOME_MEASURES.map((m) => {
    const grid = rowKeys.map((_, i) => colKeys.map((_, j) => sum(at(i, j), m)));
    const rowMargins = protectOneWay(rowKeys.map((k, i) => [k, grid[i].reduce((x, y) => x + y, 0)] as [string, number]));
    const colMargins = protectOneWay(colKeys.map((k, j) => [k, grid.reduce((x, row) => x + row[j], 0)] as [string, number]));
    const t = protectTwoWay({ counts: grid, rowMarginSuppressed: rowMargins.map((c) => c.suppressed), colMarginSuppressed: colMargins.map((c) => c.suppressed) });
    // A table that cannot be protected is not published at all.
    return t.protectable ? t.suppressed : grid.map((row) => row.map(() => true));
  });
  const out: OutcomeCell[] = [];
  rowKeys.forEach((rk, i) =>
    colKeys.forEach((ck, j) => {
      const inCell = at(i, j);
      if (inCell.length === 0) return; // an empty combination is 0 everywhere; not listed
      const counts = Object.fromEntries(OUTCOME_MEASURES.map((m) => [m, sum(inCell, m)])) as Record<OutcomeMeasure, number>;
      out.push(cell(dims, [rk, ck], counts, hidden.some((h) => h[i][j])));
    }),
  );
  return out;
}
