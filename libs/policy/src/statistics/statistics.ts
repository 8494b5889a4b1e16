import { CLAIM_STATUS_VALUES, PROVINCE_CODES, SECTOR_VALUES } from '../programs/program.types';
import { protectOneWay, protectTwoWay } from './suppression';

/** What counts may be grouped by. */
export const STAT_DIMENSIONS = ['province', 'claimStatus', 'nocCode', 'sector', 'frenchBand'] as const;
export type StatDimension = (typeof STAT_DIMENSIONS)[number];

/**
 * What counts may be filtered on: coarse dimensions only, one at a time, never the grouping
 * dimension. Every answer is thus a slice of one of a fixed, small set of tables.
 */
export const FILTER_DIMENSIONS = ['province', 'claimStatus', 'sector'] as const;
export type FilterDimension = (typeof FILTER_DIMENSIONS)[number];

export const FILTER_VALUES: Readonly<Record<FilterDimension, readonly string[]>> = {
  province: PROVINCE_CODES,
  claimStatus: CLAIM_STATUS_VALUES,
  sector: SECTOR_VALUES,
};

/** The category of claimants for whom the dimension's field is not known. */
export const UNKNOWN_CATEGORY = 'UNKNOWN';

export const FRENCH_BANDS = ['BASIC', 'INTERMEDIATE', 'ADVANCED', UNKNOWN_CATEGORY] as const;
export type FrenchBand = (typeof FRENCH_BANDS)[number];

/** NCLC 1–4 basic, 5–6 intermediate, 7–12 advanced. */
export function frenchBand(level: number | null | undefined): FrenchBand {
  if (level === null || level === undefined) return UNKNOWN_CATEGORY;
  if (level <= 4) return 'BASIC';
  if (level <= 6) return 'INTERMEDIATE';
  return 'ADVANCED';
}

export interface StatisticsFilter {
  dimension: FilterDimension;
  value: string;
}

/** Pure: the problem with a query, in words, or null when it may be answered. */
export function statisticsQueryProblem(groupBy: string, filter: StatisticsFilter | null | undefined): string | null {
  if (!(STAT_DIMENSIONS as readonly string[]).includes(groupBy)) return `groupBy must be one of ${STAT_DIMENSIONS.join(', ')}`;
  if (!filter) return null;
  if (!(FILTER_DIMENSIONS as readonly string[]).includes(filter.dimension)) {
    return `filter.dimension must be one of ${FILTER_DIMENSIONS.join(', ')} (only coarse dimensions may be filtered on)`;
  }
  if (filter.dimension === groupBy) return `filter.dimension must differ from groupBy (${groupBy}): a filter on the grouped dimension would publish a single cell`;
  const allowed = FILTER_VALUES[filter.dimension];
  if (!allowed.includes(filter.value)) return `filter.value must be one of ${allowed.join(', ')} for ${filter.dimension}`;
  return null;
}

/** One row of the counts a repository returns: grouped by `g` (and by the filter dimension `f`). */
export interface GroupCount {
  g: string;
  f?: string;
  n: number;
}

export interface StatisticsCell {
  key: string;
  /** null when suppressed */
  count: number | null;
  suppressed: boolean;
}

export interface ProtectedCounts {
  cells: StatisticsCell[];
  /** the exact total, published only when no cell of the answer is suppressed */
  total: number | null;
  suppressedCells: number;
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function finish(cells: StatisticsCell[], total: number): ProtectedCounts {
  cells.sort(byKey);
  const suppressedCells = cells.filter((c) => c.suppressed).length;
  return { cells, total: suppressedCells > 0 ? null : total, suppressedCells };
}

/** Pure: the protected one-way table (no filter). */
export function protectedOneWay(counts: readonly GroupCount[]): ProtectedCounts {
  const totals = new Map<string, number>();
  for (const c of counts) totals.set(c.g, (totals.get(c.g) ?? 0) + c.n);
  const sorted = [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const cells = protectOneWay(sorted).map((c) => ({ key: c.key, count: c.suppressed ? null : c.count, suppressed: c.suppressed }));
  return finish(cells, [...totals.values()].reduce((s, n) => s + n, 0));
}

/**
 * Pure: the protected answer for `groupBy` where `filter` holds, from the counts of the whole
 * population grouped by (groupBy, filter.dimension). The two-way table is protected in one
 * canonical orientation (dimensions in STAT_DIMENSIONS order), so (A filtered on B = b) and
 * (B filtered on A = a) are slices of the very same protected table.
 */
export function protectedSlice(groupBy: StatDimension, filter: StatisticsFilter, counts: readonly GroupCount[]): ProtectedCounts {
  const gValues = [...new Set(counts.map((c) => c.g))].sort();
  const fValues = [...new Set(counts.map((c) => c.f as string))].sort();
  const gIndex = new Map(gValues.map((v, i) => [v, i]));
  const fIndex = new Map(fValues.map((v, i) => [v, i]));
  const gFirst = STAT_DIMENSIONS.indexOf(groupBy) < STAT_DIMENSIONS.indexOf(filter.dimension);
  const [rowValues, colValues] = gFirst ? [gValues, fValues] : [fValues, gValues];
  const grid = rowValues.map(() => colValues.map(() => 0));
  for (const c of counts) {
    const gi = gIndex.get(c.g)!;
    const fi = fIndex.get(c.f as string)!;
    if (gFirst) grid[gi][fi] += c.n;
    else grid[fi][gi] += c.n;
  }
  const rowMargins = grid.map((row) => row.reduce((s, n) => s + n, 0));
  const colMargins = colValues.map((_, j) => grid.reduce((s, row) => s + row[j], 0));
  const rowProtected = protectOneWay(rowValues.map((v, i) => [v, rowMargins[i]] as [string, number]));
  const colProtected = protectOneWay(colValues.map((v, j) => [v, colMargins[j]] as [string, number]));
  const protection = protectTwoWay({
    counts: grid,
    rowMarginSuppressed: rowProtected.map((c) => c.suppressed),
    colMarginSuppressed: colProtected.map((c) => c.suppressed),
  });

  const fi = fIndex.get(filter.value);
  const cells: StatisticsCell[] = gValues.map((g) => {
    if (fi === undefined) return { key: g, count: 0, suppressed: false };
    const gi = gIndex.get(g)!;
    const [i, j] = gFirst ? [gi, fi] : [fi, gi];
    const suppressed = !protection.protectable || protection.suppressed[i][j];
    return { key: g, count: suppressed ? null : grid[i][j], suppressed };
  });
  const sliceTotal = fi === undefined ? 0 : gFirst ? colMargins[fi] : rowMargins[fi];
  const answer = finish(cells, sliceTotal);
  // The slice total is a margin: never publish one that its own one-way table suppresses.
  const marginSuppressed = fi !== undefined && (gFirst ? colProtected[fi].suppressed : rowProtected[fi].suppressed);
  return marginSuppressed ? { ...answer, total: null } : answer;
}
