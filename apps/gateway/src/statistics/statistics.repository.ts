import { DataSource } from 'typeorm';
import type { GroupCount, StatDimension } from '@passerelle/policy';

/** The column of each dimension in claimant_records (in claimant_merged: `<column>1`, `<column>2`). */
const COLUMN: Record<StatDimension, string> = {
  province: 'province',
  claimStatus: 'claim_status',
  nocCode: 'noc_code',
  sector: 'sector',
  frenchBand: 'french_level',
};

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
 * Over several providers the counts come from claimant_merged (one row per subject, kept current
 * by claimant_records' triggers: migration 1795563000000), grouped on its raw columns in one
 * pass; per group and dimension, the first of the subject's two providers of highest precedence
 * that is allowed and holds a value gives the value. The few subjects with a third provider are
 * merged from claimant_records as before. Equivalence with the plain merge over
 * claimant_records: test/statistics/merged-equivalence.e2e-spec.ts.
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
    const groups = dims.map((_, i) => i + 1).join(', ');
    const names = dims.map((_, i) => (i === 0 ? 'g' : 'f'));
    let sql: string;
    const params: unknown[] = [population];
    if (population.length === 1 && dims.every(([, p]) => p.length === 1)) {
      // One provider for everything: one row per claimant already.
      const select = dims.map(([d], i) => `${category(d, COLUMN[d])} AS ${names[i]}`).join(', ');
      sql = `SELECT ${select}, count(*)::int AS n FROM claimant_records WHERE provider = ANY($1::text[]) GROUP BY ${groups}`;
    } else {
      const allowed = dims.map(([, p]) => {
        params.push(p);
        return `$${params.length}::text[]`;
      });
      // Two providers at most: grouped on the raw columns first (a plain hash aggregate over
      // the narrow rows, the one pass over every claimant), then, per group, the first allowed
      // provider holding a value gives it.
      const raw = ['provider1', 'provider2', ...dims.flatMap(([d]) => [`${COLUMN[d]}1`, `${COLUMN[d]}2`])];
      const merged = dims
        .map(([d], i) => {
          const c = COLUMN[d];
          return `CASE WHEN provider1 = ANY(${allowed[i]}) AND ${c}1 IS NOT NULL THEN ${known(d, `${c}1`)}
                       WHEN provider2 = ANY(${allowed[i]}) AND ${c}2 IS NOT NULL THEN ${known(d, `${c}2`)}
                       ELSE 'UNKNOWN' END AS ${names[i]}`;
        })
        .join(', ');
      // More providers: the merge over their records.
      const fromRecords = dims
        .map(([d], i) => `(array_agg(${COLUMN[d]} ORDER BY supplied_at DESC, provider) FILTER (WHERE ${COLUMN[d]} IS NOT NULL AND provider = ANY(${allowed[i]})))[1] AS d${i}`)
        .join(', ');
      const categories = dims.map(([d], i) => `${category(d, `d${i}`)} AS ${names[i]}`).join(', ');
      sql = `SELECT ${names.join(', ')}, sum(n)::int AS n FROM (
               SELECT ${merged}, n FROM (
                 SELECT ${raw.join(', ')}, count(*) AS n FROM claimant_merged WHERE NOT more_providers GROUP BY ${raw.map((_, i) => i + 1).join(', ')}) signatures
                WHERE provider1 = ANY($1::text[]) OR provider2 = ANY($1::text[])
               UNION ALL
               SELECT ${categories}, count(*) AS n FROM (
                 SELECT subject, ${fromRecords} FROM claimant_records
                  WHERE provider = ANY($1::text[]) AND subject IN (SELECT subject FROM claimant_merged WHERE more_providers)
                  GROUP BY subject) more
                GROUP BY ${groups}) parts
             GROUP BY ${groups}`;
    }
    const rows: Array<{ g: string; f?: string; n: number }> = await this.dataSource.query(sql, params);
    return rows.map((r) => (by ? { g: r.g, f: r.f, n: r.n } : { g: r.g, n: r.n }));
  }
}
