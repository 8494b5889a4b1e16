import { DataSource } from 'typeorm';
import type { GroupCount, StatDimension } from '@passerelle/policy';

/** The column (or expression over the merged column) of each dimension. */
const COLUMN: Record<StatDimension, string> = {
  province: 'province',
  claimStatus: 'claim_status',
  nocCode: 'noc_code',
  sector: 'sector',
  frenchBand: 'french_level',
};

function category(dimension: StatDimension, column: string): string {
  if (dimension === 'frenchBand') {
    return `CASE WHEN ${column} IS NULL THEN 'UNKNOWN' WHEN ${column} <= 4 THEN 'BASIC' WHEN ${column} <= 6 THEN 'INTERMEDIATE' ELSE 'ADVANCED' END`;
  }
  return `coalesce(${column}::text, 'UNKNOWN')`;
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
 * Plain class (no Nest decorators, so end-to-end tests can drive it on a real database without
 * loading Nest): the module provides it with a factory over the app's DataSource.
 */
export class StatisticsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async counts(groupBy: StatDimension, by: StatDimension | null, providers: DimensionProviders): Promise<GroupCount[]> {
    const dims: Array<[StatDimension, readonly string[]]> = [[groupBy, providers.groupBy]];
    if (by) dims.push([by, providers.by ?? []]);
    const population = [...new Set(dims.flatMap(([, p]) => p))].sort();
    if (population.length === 0) return [];
    let sql: string;
    const params: unknown[] = [population];
    if (population.length === 1 && dims.every(([, p]) => p.length === 1)) {
      // One provider for everything: one row per claimant already.
      const select = dims.map(([d], i) => `${category(d, COLUMN[d])} AS ${i === 0 ? 'g' : 'f'}`).join(', ');
      sql = `SELECT ${select}, count(*)::int AS n FROM claimant_records WHERE provider = ANY($1::text[]) GROUP BY ${dims.map((_, i) => i + 1).join(', ')}`;
    } else {
      const merged = dims
        .map(([d, allowed], i) => {
          params.push(allowed);
          return `(array_agg(${COLUMN[d]} ORDER BY supplied_at DESC, provider) FILTER (WHERE ${COLUMN[d]} IS NOT NULL AND provider = ANY($${params.length}::text[])))[1] AS d${i}`;
        })
        .join(', ');
      const select = dims.map(([d], i) => `${category(d, `d${i}`)} AS ${i === 0 ? 'g' : 'f'}`).join(', ');
      sql = `WITH merged AS (SELECT subject, ${merged} FROM claimant_records WHERE provider = ANY($1::text[]) GROUP BY subject)
             SELECT ${select}, count(*)::int AS n FROM merged GROUP BY ${dims.map((_, i) => i + 1).join(', ')}`;
    }
    const rows: Array<{ g: string; f?: string; n: number }> = await this.dataSource.query(sql, params);
    return rows.map((r) => (by ? { g: r.g, f: r.f, n: r.n } : { g: r.g, n: r.n }));
  }
}
