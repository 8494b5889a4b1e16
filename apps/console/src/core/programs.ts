/**
 * What the programs page draws, from programUptake (by month) and eligibleNotApplied answers.
 * Pure. A suppressed cell never carries a number into the page: it is a `null` here and the page
 * writes the word for it (a cell hidden to protect another one may be 10 or more).
 */
export interface UptakeCell {
  month: string | null;
  applications: number | null;
  admissions: number | null;
  suppressed: boolean;
}

export interface SpotCell {
  province: string | null;
  measure: string;
  field: string | null;
  count: number | null;
  suppressed: boolean;
}

/** One row of a table: numbers, or null where the cell is suppressed. */
export interface UptakeRow {
  month: string;
  applications: number | null;
  admissions: number | null;
}

export interface SpotRow {
  province: string;
  measure: string;
  field: string;
  count: number | null;
}

const shown = (suppressed: boolean, n: number | null) => (suppressed || n === null ? null : n);

/** Months in order (oldest first); suppressed months keep their row, without numbers. */
export function uptakeRows(cells: readonly UptakeCell[]): UptakeRow[] {
  return cells
    .filter((c) => c.month !== null)
    .sort((a, b) => (a.month! < b.month! ? -1 : 1))
    .map((c) => ({ month: c.month!, applications: shown(c.suppressed, c.applications), admissions: shown(c.suppressed, c.admissions) }));
}

/** The applications of the months that may be drawn as bars (suppressed months are left out). */
export function uptakeBars(rows: readonly UptakeRow[]): Array<{ label: string; count: number }> {
  return rows.filter((r) => r.applications !== null).map((r) => ({ label: r.month, count: r.applications! }));
}

const MEASURE_ORDER = ['ELIGIBLE_NOT_APPLIED', 'UNDETERMINED_NOT_APPLIED', 'ELIGIBLE'];

/** Province by province, eligible-not-applied before undetermined; the missing field named for the latter. */
export function spotRows(cells: readonly SpotCell[]): SpotRow[] {
  return [...cells]
    .sort((a, b) => ((a.province ?? '') < (b.province ?? '') ? -1 : (a.province ?? '') > (b.province ?? '') ? 1 : MEASURE_ORDER.indexOf(a.measure) - MEASURE_ORDER.indexOf(b.measure)))
    .map((c) => ({ province: c.province ?? '', measure: c.measure, field: c.field ?? '', count: shown(c.suppressed, c.count) }));
}
