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

/**
 * Counts of claimants for statistics. A claimant counts once: with several providers, each
 * field's value is the most recently supplied non-null one among those providers (ties: provider
 * id order), as in claimant reads. Column names come from a fixed map, never from input.
 *
 * Plain class (no Nest decorators, so end-to-end tests can drive it on a real database without
 * loading Nest): the module provides it with a factory over the app's DataSource.
 */
export class StatisticsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async counts(groupBy: StatDimension, by: StatDimension | null, providers: readonly string[]): Promise<GroupCount[]> {
    if (providers.length === 0) return [];
    const dims = by ? [groupBy, by] : [groupBy];
    let sql: string;
    if (providers.length === 1) {
      // One provider: one row per claimant already.
      const select = dims.map((d, i) => `${category(d, COLUMN[d])} AS ${i === 0 ? 'g' : 'f'}`).join(', ');
      sql = `SELECT ${select}, count(*)::int AS n FROM claimant_records WHERE provider = ANY($1::text[]) GROUP BY ${dims.map((_, i) => i + 1).join(', ')}`;
    } else {
      const merged = dims
        .map((d, i) => `(array_agg(${COLUMN[d]} ORDER BY supplied_at DESC, provider) FILTER (WHERE ${COLUMN[d]} IS NOT NULL))[1] AS d${i}`)
        .join(', ');
      const select = dims.map((d, i) => `${category(d, `d${i}`)} AS ${i === 0 ? 'g' : 'f'}`).join(', ');
      sql = `WITH merged AS (SELECT subject, ${merged} FROM claimant_records WHERE provider = ANY($1::text[]) GROUP BY subject)
             SELECT ${select}, count(*)::int AS n FROM merged GROUP BY ${dims.map((_, i) => i + 1).join(', ')}`;
    }
    const rows: Array<{ g: string; f?: string; n: number }> = await this.dataSource.query(sql, [providers]);
    return rows.map((r) => (by ? { g: r.g, f: r.f, n: r.n } : { g: r.g, n: r.n }));
  }
}
