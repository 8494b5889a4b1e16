import { protectOneWay, protectTwoWay } from '../statistics/suppression';

/**
 * Uptake of a program stream over time and place, protected like statistics (docs/statistics.md):
 * counts 1–9 never published, complementary suppression so that no suppressed cell is recoverable
 * from the published ones and the margins. Pure.
 */
export const UPTAKE_DIMENSIONS = ['month', 'province'] as const;
export type UptakeDimension = (typeof UPTAKE_DIMENSIONS)[number];

export interface UptakeRow {
  month: string;
  province: string;
  applications: number;
  admissions: number;
}

export interface UptakeCell {
  month: string | null;
  province: string | null;
  /** null when suppressed */
  applications: number | null;
  admissions: number | null;
  suppressed: boolean;
}

type Measure = 'applications' | 'admissions';

/** The cells of `rows` grouped by `groupBy` (one or both dimensions, in that order), each measure protected on its own. */
export function protectUptake(rows: readonly UptakeRow[], groupBy: readonly UptakeDimension[]): UptakeCell[] {
  const dims = UPTAKE_DIMENSIONS.filter((d) => groupBy.includes(d));
  if (dims.length === 0) return [];
  if (dims.length === 1) {
    const dim = dims[0];
    const keys = [...new Set(rows.map((r) => r[dim]))].sort();
    const sum = (m: Measure) => new Map(keys.map((k) => [k, rows.filter((r) => r[dim] === k).reduce((n, r) => n + r[m], 0)]));
    const apps = protectOneWay(sum('applications'));
    const adm = protectOneWay(sum('admissions'));
    return keys.map((k, i) => {
      const suppressed = apps[i].suppressed || adm[i].suppressed;
      return { month: dim === 'month' ? k : null, province: dim === 'province' ? k : null, applications: suppressed ? null : apps[i].count, admissions: suppressed ? null : adm[i].count, suppressed };
    });
  }
  const months = [...new Set(rows.map((r) => r.month))].sort();
  const provinces = [...new Set(rows.map((r) => r.province))].sort();
  const grid = (m: Measure) => months.map((mo) => provinces.map((p) => rows.filter((r) => r.month === mo && r.province === p).reduce((n, r) => n + r[m], 0)));
  const protect = (m: Measure) => {
    const counts = grid(m);
    const rowMargins = protectOneWay(months.map((mo, i) => [mo, counts[i].reduce((a, b) => a + b, 0)] as [string, number]));
    const colMargins = protectOneWay(provinces.map((p, j) => [p, counts.reduce((a, row) => a + row[j], 0)] as [string, number]));
    const t = protectTwoWay({ counts, rowMarginSuppressed: rowMargins.map((c) => c.suppressed), colMarginSuppressed: colMargins.map((c) => c.suppressed) });
    // A table that cannot be protected is not published at all.
    return { counts, suppressed: t.protectable ? t.suppressed : counts.map((row) => row.map(() => true)) };
  };
  const apps = protect('applications');
  const adm = protect('admissions');
  const out: UptakeCell[] = [];
  months.forEach((month, i) =>
    provinces.forEach((province, j) => {
      const suppressed = apps.suppressed[i][j] || adm.suppressed[i][j];
      out.push({ month, province, applications: suppressed ? null : apps.counts[i][j], admissions: suppressed ? null : adm.counts[i][j], suppressed });
    }),
  );
  return out;
}
