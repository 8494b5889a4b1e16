import { DataSource, type EntityManager } from 'typeorm';
import { ClaimantChanges, changesSinceColumns } from '../claimants/claimant-changes';
import { SpotPopulationBuilder, type ClaimantView, type CountedClaimant, type EmploymentPeriod, type ReleasedSpots, type ReleasedUptake, type SpotPopulation, type SpotRow, type UptakeApplication } from '@passerelle/policy';

/** The claimant fields a count may read, and the column(s) behind each. */
export const SPOT_FIELDS = ['province', 'nocCode', 'claimStatus', 'sector', 'workPermitExpiry', 'frenchLevel', 'healthCareHours'] as const;
export type SpotField = (typeof SPOT_FIELDS)[number];
const COLUMN: Record<SpotField, string> = {
  province: 'province',
  nocCode: 'noc_code',
  claimStatus: 'claim_status',
  sector: 'sector',
  workPermitExpiry: "to_char(work_permit_expiry, 'YYYY-MM-DD')",
  frenchLevel: 'french_level',
  healthCareHours: 'health_care_hours',
};

/** Per field, the providers whose values the count may use (those whose agreement names it); absent or empty: none. */
export type FieldProviders = Partial<Record<SpotField, readonly string[]>>;

export interface OperationKind {
  operation: 'eligibleNotApplied' | 'simulateRule' | 'programUptake';
}

/**
 * The population of an empty-spots count, and the release history it is audited against. Each
 * field's value is the most recently supplied non-null one among the providers allowed for THAT
 * field (ties: provider id), as statistics does; employment periods come from the providers
 * allowed healthCareHours. Plain class (tests drive it on a real database without Nest).
 */
export class EmptySpotsRepository {
  /** @param pageSize subjects per page when the population is read into a snapshot */
  constructor(
    private readonly dataSource: DataSource,
    private readonly pageSize = 100_000,
  ) {}

  /**
   * Runs `work` holding the agency's release lock (one audit at a time per agency, so two
   * concurrent releases cannot each pass an audit the pair would fail), in one transaction.
   */
  async underReleaseLock<T>(agency: string, work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('count_releases'), hashtext($1))`, [agency]);
      return work(m);
    });
  }

  /** The population as a list of views, read in one go (the path before the columnar snapshot; kept as the reference the snapshot is tested against). */
  async population(m: EntityManager, program: string, providers: FieldProviders): Promise<CountedClaimant[]> {
    const merged = mergedQuery(providers);
    if (!merged) return [];
    const params = [...merged.params, program];
    const rows: Array<MergedRow & { applied: boolean }> = await m.query(
      `WITH merged AS (${merged.sql}),
            applied AS (SELECT DISTINCT subject FROM program_stream_applications WHERE program = $${params.length} AND status <> 'WITHDRAWN')
       SELECT merged.*, (applied.subject IS NOT NULL) AS applied FROM merged LEFT JOIN applied USING (subject) ORDER BY subject`,
      params,
    );
    const periods = await this.periods(null, providers.healthCareHours ?? [], m);
    const withheld = SPOT_FIELDS.filter((f) => (providers[f] ?? []).length === 0);
    return rows.map((r) => {
      const row = spotRow(r, periods, false);
      const view: ClaimantView = { ...row, claimStatus: row.claimStatus as ClaimantView['claimStatus'], withheld };
      delete (view as { applied?: boolean }).applied;
      return { view, applied: r.applied };
    });
  }

  /**
   * The same population, column by column (SpotPopulation), with nobody marked as applied (see
   * `applied`), and the subjects in row order. The same SQL and order as `population`.
   */
  async columnar(m: EntityManager, providers: FieldProviders): Promise<{ population: SpotPopulation; subjects: string[] }> {
    const withheld = SPOT_FIELDS.filter((f) => (providers[f] ?? []).length === 0);
    const builder = new SpotPopulationBuilder(withheld);
    const subjects: string[] = [];
    const merged = mergedQuery(providers);
    if (merged) {
      const periods = await this.periods(null, providers.healthCareHours ?? [], m);
      // In pages by subject (keyset, the same order), so that at most a page of rows is held at once.
      const after = merged.params.length + 1;
      const sql = merged.sql.replace('GROUP BY subject', `AND ($${after}::text IS NULL OR subject > $${after}) GROUP BY subject ORDER BY subject LIMIT ${this.pageSize}`);
      let last: string | null = null;
      for (;;) {
        const rows: MergedRow[] = await m.query(sql, [...merged.params, last]);
        for (const r of rows) {
          subjects.push(r.subject);
          builder.add(spotRow(r, periods, false));
        }
        if (rows.length < this.pageSize) break;
        last = rows[rows.length - 1].subject;
      }
    }
    return { population: builder.build(), subjects };
  }

  /**
   * The rows of `subjects` as `columnar` reads them (same SQL and provider scoping, restricted to
   * those subjects), in the same order; a subject outside the population is absent.
   */
  async rows(m: EntityManager, providers: FieldProviders, subjects: readonly string[]): Promise<Array<{ subject: string; row: SpotRow }>> {
    const merged = mergedQuery(providers);
    if (!merged || subjects.length === 0) return [];
    const at = merged.params.length + 1;
    const sql = merged.sql.replace('GROUP BY subject', `AND subject = ANY($${at}::text[]) GROUP BY subject ORDER BY subject`);
    const rows: MergedRow[] = await m.query(sql, [...merged.params, subjects]);
    const periods = await this.periods(subjects, providers.healthCareHours ?? [], m);
    return rows.map((r) => ({ subject: r.subject, row: spotRow(r, periods, false) }));
  }

  /** For each pair, whether a sorts before b in the database's order of subjects (the order of `columnar`). */
  async precedes(m: EntityManager, a: readonly string[], b: readonly string[]): Promise<boolean[]> {
    if (a.length === 0) return [];
    const rows: Array<{ lt: boolean }> = await m.query(`SELECT a < b AS lt FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(a, b, i) ORDER BY i`, [a, b]);
    return rows.map((r) => r.lt);
  }

  /** The subjects who count as having applied to `program` (an application not withdrawn). */
  async applied(m: EntityManager, program: string): Promise<string[]> {
    const rows: Array<{ subject: string }> = await m.query(`SELECT DISTINCT subject FROM program_stream_applications WHERE program = $1 AND status <> 'WITHDRAWN'`, [program]);
    return rows.map((r) => r.subject);
  }

  /**
   * Where a snapshot stands, read BEFORE its data (migration 1795571000000): `mark`, the oldest
   * transaction still running (every write of an older one is visible to what is read next);
   * `applications`, the write counter of program_stream_applications.
   */
  async mark(m: EntityManager): Promise<{ mark: string; applications: string }> {
    const [row]: Array<{ mark: string; applications: string }> = await m.query(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS mark, coalesce((SELECT sum(bumps) FROM spots_versions WHERE kind = 'applications'), 0)::text AS applications`,
    );
    return row;
  }

  /**
   * What changed since `since` (a mark), in one statement (one snapshot of the log): the subjects
   * written by any transaction at or above it (at most `limit` + 1: more means "too many");
   * `everyone` when a table was truncated; `pruned` when rows at or above it may have been
   * pruned; and the new mark and applications counter, as `mark` reads them.
   */
  async changesSince(m: EntityManager, since: string, limit: number): Promise<{ mark: string; applications: string; subjects: string[]; everyone: boolean; pruned: boolean }> {
    const [row]: Array<{ mark: string; applications: string; subjects: string[]; everyone: boolean; pruned: boolean | null }> = await m.query(
      `SELECT ${changesSinceColumns('$1', '$2')},
              coalesce((SELECT sum(bumps) FROM spots_versions WHERE kind = 'applications'), 0)::text AS applications`,
      [since, limit + 1],
    );
    return { ...row, pruned: row.pruned === true };
  }

  /**
   * Prunes the change log: at most `batch` rows written more than `retention` (a Postgres
   * interval) ago, raising `spots_changes_pruned.through` to the highest xid removed, so that a
   * snapshot marked at or below it reads everything again. Returns the rows removed.
   */
  async pruneChanges(m: EntityManager, retention: string, batch = 50_000): Promise<number> {
    return new ClaimantChanges().prune(m, retention, batch);
  }

  /** Employment periods from `providers`, per subject (of `subjects`, or of everyone when null). */
  async periods(subjects: readonly string[] | null, providers: readonly string[], m: EntityManager | DataSource = this.dataSource): Promise<Map<string, EmploymentPeriod[]>> {
    const out = new Map<string, EmploymentPeriod[]>();
    if (providers.length === 0) return out;
    const rows: Array<{ subject: string; provider: string; employer_ref: string; employer_sector: string; worksite_sector: string; start: string; end: string; hours: number }> = await m.query(
      `SELECT subject, provider, employer_ref, employer_sector, worksite_sector, to_char(start_day, 'YYYY-MM-DD') AS start, to_char(end_day, 'YYYY-MM-DD') AS "end", hours
         FROM employment_periods WHERE provider = ANY($1::text[]) AND ($2::text[] IS NULL OR subject = ANY($2::text[]))`,
      [providers, subjects],
    );
    for (const r of rows) {
      const list = out.get(r.subject) ?? [];
      list.push({ provider: r.provider, employer: r.employer_ref, employerSector: r.employer_sector, worksiteSector: r.worksite_sector, start: r.start, end: r.end, hours: Number(r.hours) });
      out.set(r.subject, list);
    }
    // One order whatever plan read them (the whole table or a few subjects): hours are summed per employer in this order.
    for (const list of out.values()) if (list.length > 1) list.sort(comparePeriods);
    return out;
  }

  /** Everything released to the agency so far, oldest first (every program: the population is shared). */
  async history(m: EntityManager, agency: string): Promise<ReleasedSpots[]> {
    const rows: Array<{ released: ReleasedSpots[] }> = await m.query(`SELECT released FROM count_releases WHERE agency = $1 AND operation IN ('eligibleNotApplied', 'simulateRule') ORDER BY id`, [agency]);
    return rows.flatMap((r) => r.released);
  }

  /** Every uptake table released to the agency about this stream, oldest first. */
  async uptakeHistory(m: EntityManager, agency: string, program: string, stream: string): Promise<ReleasedUptake[]> {
    const rows: Array<{ released: ReleasedUptake[] }> = await m.query(`SELECT released FROM count_releases WHERE agency = $1 AND program = $2 AND stream = $3 AND operation = 'programUptake' ORDER BY id`, [agency, program, stream]);
    return rows.flatMap((r) => r.released);
  }

  /** The stream's applications (every one, in a fixed order), as uptake counts and audits them. */
  async applications(m: EntityManager, program: string, stream: string): Promise<UptakeApplication[]> {
    return m.query(
      `SELECT to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, coalesce(province, 'UNKNOWN') AS province, status, period
         FROM program_stream_applications WHERE program = $1 AND stream = $2 ORDER BY subject`,
      [program, stream],
    );
  }

  async record(m: EntityManager, agency: string, program: string, stream: string, kind: OperationKind, released: readonly ReleasedSpots[] | readonly ReleasedUptake[]): Promise<void> {
    await m.query(`INSERT INTO count_releases (agency, program, stream, operation, released) VALUES ($1, $2, $3, $4, $5)`, [agency, program, stream, kind.operation, JSON.stringify(released)]);
  }
}

const comparePeriods = (a: EmploymentPeriod, b: EmploymentPeriod): number => {
  const ka = [a.provider, a.employer, a.start, a.end, a.worksiteSector, a.employerSector];
  const kb = [b.provider, b.employer, b.start, b.end, b.worksiteSector, b.employerSector];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  return a.hours - b.hours;
};

type MergedRow = Record<string, string | number | null> & { subject: string };

/**
 * Per subject, each field's most recently supplied non-null value among the providers allowed
 * for THAT field (ties: provider id), and the period of the hours chosen; null when no provider
 * is allowed anything.
 */
function mergedQuery(providers: FieldProviders): { sql: string; params: unknown[] } | null {
  const all = [...new Set(SPOT_FIELDS.flatMap((f) => providers[f] ?? []))].sort();
  if (all.length === 0) return null;
  const params: unknown[] = [all];
  const pick = (expr: string, notNull: string, allowed: readonly string[]) => {
    params.push(allowed);
    return `(array_agg(${expr} ORDER BY supplied_at DESC, provider) FILTER (WHERE ${notNull} IS NOT NULL AND provider = ANY($${params.length}::text[])))[1]`;
  };
  const cols = SPOT_FIELDS.map((f) => `${pick(COLUMN[f], f === 'workPermitExpiry' ? 'work_permit_expiry' : COLUMN[f], providers[f] ?? [])} AS "${f}"`);
  // The hours period goes with the hours it belongs to (same provider: same filter and order).
  cols.push(`${pick("to_char(hours_period_start, 'YYYY-MM-DD')", 'health_care_hours', providers.healthCareHours ?? [])} AS "hoursStart"`);
  cols.push(`${pick("to_char(hours_period_end, 'YYYY-MM-DD')", 'health_care_hours', providers.healthCareHours ?? [])} AS "hoursEnd"`);
  return { sql: `SELECT subject, ${cols.join(', ')} FROM claimant_records WHERE provider = ANY($1::text[]) GROUP BY subject`, params };
}

function spotRow(r: MergedRow, periods: ReadonlyMap<string, EmploymentPeriod[]>, applied: boolean): SpotRow {
  return {
    province: (r.province as string) ?? null,
    nocCode: (r.nocCode as string) ?? null,
    claimStatus: (r.claimStatus as string) ?? null,
    sector: (r.sector as string) ?? null,
    workPermitExpiry: (r.workPermitExpiry as string) ?? null,
    frenchLevel: r.frenchLevel === null ? null : Number(r.frenchLevel),
    healthCareHours: r.healthCareHours === null ? null : { hours: Number(r.healthCareHours), periodStart: r.hoursStart as string, periodEnd: r.hoursEnd as string },
    employment: periods.get(r.subject) ?? null,
    applied,
  };
}
