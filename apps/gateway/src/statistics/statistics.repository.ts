import { DataSource } from 'typeorm';
import { sumCounts, type GroupCount, type StatDimension } from '@passerelle/policy';
import { MERGED_COLUMN, MergedStatisticsSnapshot, type MergedSnapshotOptions } from './merged-snapshot';

/** The category of a non-null value. */
function known(dimension: StatDimension, value: string): string {
  if (dimension === 'frenchBand') return `CASE WHEN ${value} <= 4 THEN 'BASIC' WHEN ${value} <= 6 THEN 'INTERMEDIATE' ELSE 'ADVANCED' END`;
  return `${value}::text`;
}

function category(dimension: StatDimension, column: string): string {
  return `CASE WHEN ${column} IS NULL THEN 'UNKNOWN' ELSE ${known(dimension, column)} END`;
}

/** The providers whose values each dimension may use (those whose agreement names its field). */
export interface DimensionProviders {
  groupBy: readonly string[];
  /** for the filter dimension, when there is one */
  by?: readonly string[];
}

/**
 * Counts of claimants for statistics. A claimant counts once, when a provider whose values the
 * query may use holds a record about them. Each dimension's value is the most recently supplied
 * non-null one among the providers allowed for THAT dimension (ties: provider id order), so a
 * provider's records are never grouped by a field its agreement does not name. Column names come
 * from a fixed map, never from input.
 *
 * The counts come from claimant_merged (one row per subject with its two providers of highest
 * precedence, kept current by claimant_records' triggers: migration 1795563000000), held in
 * memory and brought current on each count (MergedStatisticsSnapshot): per subject and
 * dimension, the first of its two providers that is allowed and holds a value gives the value.
 * The few subjects with a third provider are merged from claimant_records in SQL. Equivalence
 * with the plain merge over claimant_records: test/statistics/merged-equivalence.e2e-spec.ts.
 *
 * Plain class (no Nest decorators, so end-to-end tests can drive it on a real database without
 * loading Nest): the module provides it with a factory over the app's DataSource.
 */
export class StatisticsRepository {
  readonly snapshot: MergedStatisticsSnapshot;

  constructor(
    private readonly dataSource: DataSource,
    options: MergedSnapshotOptions = {},
  ) {
    this.snapshot = new MergedStatisticsSnapshot(dataSource, options);
  }

  async counts(groupBy: StatDimension, by: StatDimension | null, providers: DimensionProviders): Promise<GroupCount[]> {
    const dims: Array<[StatDimension, readonly string[]]> = [[groupBy, providers.groupBy]];
    if (by) dims.push([by, providers.by ?? []]);
    for (const [d] of dims) if (!Object.hasOwn(MERGED_COLUMN, d)) throw new Error(`not a statistics dimension: ${String(d)}`);
    const population = [...new Set(dims.flatMap(([, p]) => p))].sort();
    if (population.length === 0) return [];
    const { population: merged, moreProviders } = await this.snapshot.current();
    const counts = merged.count(
      dims.map(([dimension, allowed]) => ({ dimension, allowed })),
      population,
    );
    if (moreProviders.length === 0) return counts;
    return sumCounts([...counts, ...(await this.moreProviders(dims, population, moreProviders))]);
  }

  /** The subjects with a third provider: merged from claimant_records (the merge before claimant_merged). */
  private async moreProviders(dims: Array<[StatDimension, readonly string[]]>, population: readonly string[], subjects: readonly string[]): Promise<GroupCount[]> {
    const params: unknown[] = [population, subjects];
    const merged = dims
      .map(([d, allowed], i) => {
        params.push(allowed);
        const c = MERGED_COLUMN[d];
        return `(array_agg(${c} ORDER BY supplied_at DESC, provider) FILTER (WHERE ${c} IS NOT NULL AND provider = ANY($${params.length}::text[])))[1] AS d${i}`;
      })
      .join(', ');
    const names = dims.map((_, i) => (i === 0 ? 'g' : 'f'));
    const categories = dims.map(([d], i) => `${category(d, `d${i}`)} AS ${names[i]}`).join(', ');
    const rows: Array<{ g: string; f?: string; n: number }> = await this.dataSource.query(
      `SELECT ${categories}, count(*)::int AS n FROM (
         SELECT subject, ${merged} FROM claimant_records
          WHERE provider = ANY($1::text[]) AND subject = ANY($2::text[])
          GROUP BY subject) more
        GROUP BY ${dims.map((_, i) => i + 1).join(', ')}`,
      params,
    );
    return rows;
  }
}
