import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ClaimantFilter, AccessMap } from './claimant-access';
import type { ClaimantField, ClaimantValues, ProviderRecord } from './claimant-fields';

/** SQL column(s) of each contract field (snake_case, see the migration). */
const COLUMN: Record<ClaimantField, string> = {
  claimStatus: 'claim_status',
  claimDate: 'claim_date',
  province: 'province',
  workPermitExpiry: 'work_permit_expiry',
  nocCode: 'noc_code',
  sector: 'sector',
  healthCareHours: 'health_care_hours',
  frenchLevel: 'french_level',
};

const VALUE_COLUMNS = [
  'claim_status',
  'claim_date',
  'province',
  'work_permit_expiry',
  'noc_code',
  'sector',
  'health_care_hours',
  'hours_period_start',
  'hours_period_end',
  'french_level',
] as const;

export interface RecordToStore {
  subject: string;
  values: ClaimantValues;
}

export interface StoreResult {
  /** subjects whose record changed, with the new version; absent subjects were identical (no new version) */
  changed: Map<string, number>;
}

interface RecordRow {
  subject: string;
  provider: string;
  version: number;
  supplied_at: Date;
  claim_status: string | null;
  claim_date: string | null;
  province: string | null;
  work_permit_expiry: string | null;
  noc_code: string | null;
  sector: string | null;
  health_care_hours: number | null;
  hours_period_start: string | null;
  hours_period_end: string | null;
  french_level: number | null;
}

/**
 * Upsert of a whole submission in ONE statement (so one transaction): unnest() turns the column
 * arrays into rows; ON CONFLICT updates only rows whose values differ (an identical
 * resubmission writes nothing); the changed rows are copied into the append-only history.
 */
const UPSERT_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::date[], $6::text[], $7::text[], $8::int[], $9::date[], $10::date[], $11::smallint[])
    AS t(subject, claim_status, claim_date, province, work_permit_expiry, noc_code, sector, health_care_hours, hours_period_start, hours_period_end, french_level)
),
upserted AS (
  INSERT INTO claimant_records AS cr (subject, provider, ${VALUE_COLUMNS.join(', ')}, version, supplied_at, supplied_by_kid)
  SELECT subject, $12, ${VALUE_COLUMNS.join(', ')}, 1, now(), $13 FROM input
  ON CONFLICT (subject, provider) DO UPDATE SET
    ${VALUE_COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
    version = cr.version + 1, supplied_at = EXCLUDED.supplied_at, supplied_by_kid = EXCLUDED.supplied_by_kid
  WHERE (${VALUE_COLUMNS.map((c) => `cr.${c}`).join(', ')}) IS DISTINCT FROM (${VALUE_COLUMNS.map((c) => `EXCLUDED.${c}`).join(', ')})
  RETURNING cr.*
)
INSERT INTO claimant_record_versions (subject, provider, version, ${VALUE_COLUMNS.join(', ')}, supplied_at, supplied_by_kid, request_jti)
SELECT subject, provider, version, ${VALUE_COLUMNS.join(', ')}, supplied_at, supplied_by_kid, $14 FROM upserted
RETURNING subject, version`;

const SELECT_RECORD_COLUMNS = `subject, provider, version, supplied_at, claim_status, to_char(claim_date, 'YYYY-MM-DD') AS claim_date, province,
  to_char(work_permit_expiry, 'YYYY-MM-DD') AS work_permit_expiry, noc_code, sector, health_care_hours,
  to_char(hours_period_start, 'YYYY-MM-DD') AS hours_period_start, to_char(hours_period_end, 'YYYY-MM-DD') AS hours_period_end, french_level`;

/** Claimant records in SQL; no rules here (ClaimantsService holds them). */
@Injectable()
export class ClaimantsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async store(provider: string, kid: string, jti: string, records: readonly RecordToStore[]): Promise<StoreResult> {
    if (records.length === 0) return { changed: new Map() };
    const col = <T>(pick: (v: ClaimantValues) => T | undefined) => records.map((r) => pick(r.values) ?? null);
    const rows: Array<{ subject: string; version: number }> = await this.dataSource.query(UPSERT_SQL, [
      records.map((r) => r.subject),
      col((v) => v.claimStatus),
      col((v) => v.claimDate),
      col((v) => v.province),
      col((v) => v.workPermitExpiry),
      col((v) => v.nocCode),
      col((v) => v.sector),
      col((v) => v.healthCareHours?.hours),
      col((v) => v.healthCareHours?.periodStart),
      col((v) => v.healthCareHours?.periodEnd),
      col((v) => v.frenchLevel),
      provider,
      kid,
      jti,
    ]);
    return { changed: new Map(rows.map((r) => [r.subject, Number(r.version)])) };
  }

  /** The current records of these subjects from these providers. */
  async records(subjects: readonly string[], providers: readonly string[]): Promise<ProviderRecord[]> {
    if (subjects.length === 0 || providers.length === 0) return [];
    const rows: RecordRow[] = await this.dataSource.query(
      `SELECT ${SELECT_RECORD_COLUMNS} FROM claimant_records WHERE subject = ANY($1::text[]) AND provider = ANY($2::text[])`,
      [subjects, providers],
    );
    return rows.map(toProviderRecord);
  }

  /** The version history of one subject's records from one provider, oldest first (for tests and operators). */
  async history(subject: string, provider: string): Promise<Array<{ version: number; suppliedByKid: string; requestJti: string; values: ClaimantValues }>> {
    const rows: Array<RecordRow & { supplied_by_kid: string; request_jti: string }> = await this.dataSource.query(
      `SELECT ${SELECT_RECORD_COLUMNS}, supplied_by_kid, request_jti FROM claimant_record_versions WHERE subject = $1 AND provider = $2 ORDER BY version`,
      [subject, provider],
    );
    return rows.map((r) => ({ version: Number(r.version), suppliedByKid: r.supplied_by_kid, requestJti: r.request_jti, values: toProviderRecord(r).values }));
  }

  /**
   * One page of subjects (ordered by internal id, after `afterSubject`) that have a record from
   * a readable provider and whose MERGED value of every filtered field matches, where the merge
   * only looks at the providers whose agreement covers that field (access map).
   *
   * Cost is O(page ÷ selectivity), not O(table): the subjects after the cursor are walked in
   * order on the primary key (subject, provider) and each candidate's merged values are tested by
   * a LATERAL primary-key lookup of its rows, stopping as soon as the page is full. The walk looks
   * at most SCAN_BUDGET candidates; when a filter is so selective that the budget runs out before
   * the page is full, the rest of the page comes from the set-based plan (each filter a
   * semi-join on its index) over the subjects after the walked window. The result is exactly the
   * set-based plan's, whichever path served it: same subjects, same order, same page length.
   */
  async pageSubjects(access: AccessMap, readable: readonly string[], filter: ClaimantFilter, afterSubject: string | null, limit: number): Promise<string[]> {
    const walked = await this.walkSubjects(access, readable, filter, afterSubject, limit, SCAN_BUDGET);
    if (walked.subjects.length >= limit || walked.exhausted) return walked.subjects;
    const rest = await this.scanSubjects(access, readable, filter, walked.windowEnd, limit - walked.subjects.length);
    return [...walked.subjects, ...rest];
  }

  /**
   * Keyset walk: the first `limit` matching subjects among the next `budget` subjects after
   * `afterSubject` (in subject order), plus whether those `budget` subjects were all there were
   * (`exhausted`) and the last of them (`windowEnd`, where a continuation starts).
   */
  private async walkSubjects(
    access: AccessMap,
    readable: readonly string[],
    filter: ClaimantFilter,
    afterSubject: string | null,
    limit: number,
    budget: number,
  ): Promise<{ subjects: string[]; exhausted: boolean; windowEnd: string | null }> {
    const params: unknown[] = [readable, afterSubject ?? '', limit, budget];
    const { merged } = filterSql(access, filter, params, 'm');
    // The window: distinct subjects after the cursor, in PK order, at most `budget` of them
    // (the Limit streams: the outer Limit stops pulling once the page is full). Every internal
    // id starts with 'i_', so '' means "from the start". Each candidate's merged values are
    // computed by one aggregate over its own rows (PK lookup), exactly as the set-based HAVING.
    const sql = `
      SELECT w.subject FROM (
        SELECT DISTINCT c.subject FROM claimant_records c
        WHERE c.provider = ANY($1::text[]) AND c.subject > $2::text
        ORDER BY c.subject
        LIMIT $4::int
      ) w
      ${merged.length ? `CROSS JOIN LATERAL (
        SELECT ${merged.join('\n          AND ')} AS ok
        FROM claimant_records m WHERE m.subject = w.subject AND m.provider = ANY($1::text[])
      ) t
      WHERE t.ok` : ''}
      ORDER BY w.subject
      LIMIT $3::int`;
    const rows: Array<{ subject: string }> = await this.dataSource.query(sql, params);
    const subjects = rows.map((r) => r.subject);
    if (subjects.length >= limit) return { subjects, exhausted: false, windowEnd: subjects[subjects.length - 1] };
    // Short: either the table ran out (done) or the budget did (the caller continues after the window).
    const [win]: Array<{ n: number; last: string | null }> = await this.dataSource.query(
      `SELECT count(*)::int AS n, max(w.subject) AS last FROM (
         SELECT DISTINCT c.subject FROM claimant_records c
         WHERE c.provider = ANY($1::text[]) AND c.subject > $2::text
         ORDER BY c.subject
         LIMIT $3::int
       ) w`,
      [readable, afterSubject ?? '', budget],
    );
    return { subjects, exhausted: Number(win.n) < budget, windowEnd: win.last };
  }

  /**
   * Set-based plan (for selective filters, after the walk's budget ran out): each filter is also
   * applied as a semi-join on the raw rows, so the filter-column indexes narrow the scan, then
   * the merged values are checked per subject.
   */
  private async scanSubjects(access: AccessMap, readable: readonly string[], filter: ClaimantFilter, afterSubject: string | null, limit: number): Promise<string[]> {
    const params: unknown[] = [readable, afterSubject, limit];
    const { semiJoins, merged } = filterSql(access, filter, params, 'r');
    const sql = `
      SELECT r.subject FROM claimant_records r
      WHERE r.provider = ANY($1::text[]) AND ($2::text IS NULL OR r.subject > $2::text)
        ${semiJoins.map((w) => `AND ${w}`).join('\n        ')}
      GROUP BY r.subject
      ${merged.length ? `HAVING ${merged.join('\n        AND ')}` : ''}
      ORDER BY r.subject
      LIMIT $3::int`;
    const rows: Array<{ subject: string }> = await this.dataSource.query(sql, params);
    return rows.map((r) => r.subject);
  }
}

/**
 * How many subjects one keyset walk looks at before handing over to the set-based plan. A page
 * of 100 with a filter matching ≥ 3 % of subjects fills within it; below that, the semi-join
 * plan (driven by the filter indexes) is the cheaper one anyway.
 */
export const SCAN_BUDGET = 4000;

/**
 * The SQL of a filter, with its values appended to `params`: `semiJoins` (raw rows of a covering
 * provider match, on the subjects of alias `r`) and `merged` (aggregate conditions over the rows
 * of alias `alias` of one subject: the MERGED value of each filtered field — most recent non-null
 * among the providers whose agreement covers it, ties to the first provider id — matches).
 */
function filterSql(access: AccessMap, filter: ClaimantFilter, params: unknown[], alias: string): { semiJoins: string[]; merged: string[] } {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const semiJoins: string[] = [];
  const merged: string[] = [];
  const add = (field: ClaimantField, op: (expr: string) => string) => {
    const providers = p(access[field].providers);
    const c = COLUMN[field];
    semiJoins.push(`r.subject IN (SELECT x.subject FROM claimant_records x WHERE x.provider = ANY(${providers}::text[]) AND ${op(`x.${c}`)})`);
    merged.push(op(`(array_agg(${alias}.${c} ORDER BY ${alias}.supplied_at DESC, ${alias}.provider) FILTER (WHERE ${alias}.${c} IS NOT NULL AND ${alias}.provider = ANY(${providers}::text[])))[1]`));
  };
  if (filter.province !== undefined) {
    const v = p(filter.province);
    add('province', (e) => `${e} = ${v}::text`);
  }
  if (filter.claimStatus !== undefined) {
    const v = p(filter.claimStatus);
    add('claimStatus', (e) => `${e} = ANY(${v}::text[])`);
  }
  if (filter.nocCode !== undefined) {
    const v = p(filter.nocCode);
    add('nocCode', (e) => `${e} = ANY(${v}::text[])`);
  }
  if (filter.sector !== undefined) {
    const v = p(filter.sector);
    add('sector', (e) => `${e} = ${v}::text`);
  }
  if (filter.workPermitValidOn !== undefined) {
    const v = p(filter.workPermitValidOn);
    add('workPermitExpiry', (e) => `${e} >= ${v}::date`);
  }
  if (filter.frenchLevelAtLeast !== undefined) {
    const v = p(filter.frenchLevelAtLeast);
    add('frenchLevel', (e) => `${e} >= ${v}::int`);
  }
  if (filter.healthCareHoursAtLeast !== undefined) {
    const v = p(filter.healthCareHoursAtLeast);
    add('healthCareHours', (e) => `${e} >= ${v}::int`);
  }
  return { semiJoins, merged };
}

function toProviderRecord(r: RecordRow): ProviderRecord {
  const values: ClaimantValues = {};
  if (r.claim_status !== null) values.claimStatus = r.claim_status as ClaimantValues['claimStatus'];
  if (r.claim_date !== null) values.claimDate = r.claim_date;
  if (r.province !== null) values.province = r.province as ClaimantValues['province'];
  if (r.work_permit_expiry !== null) values.workPermitExpiry = r.work_permit_expiry;
  if (r.noc_code !== null) values.nocCode = r.noc_code;
  if (r.sector !== null) values.sector = r.sector as ClaimantValues['sector'];
  if (r.health_care_hours !== null && r.hours_period_start !== null && r.hours_period_end !== null) {
    values.healthCareHours = { hours: Number(r.health_care_hours), periodStart: r.hours_period_start, periodEnd: r.hours_period_end };
  }
  if (r.french_level !== null) values.frenchLevel = Number(r.french_level);
  return { subject: r.subject, provider: r.provider, version: Number(r.version), suppliedAt: new Date(r.supplied_at), values };
}
