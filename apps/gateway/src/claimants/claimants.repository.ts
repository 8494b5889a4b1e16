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
   * only looks at the providers whose agreement covers that field (access map). Each filter is
   * also applied as a semi-join on the raw rows first, so the indexes narrow the scan.
   */
  async pageSubjects(access: AccessMap, readable: readonly string[], filter: ClaimantFilter, afterSubject: string | null, limit: number): Promise<string[]> {
    const params: unknown[] = [readable, afterSubject, limit];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    const having: string[] = [];
    const add = (field: ClaimantField, op: (expr: string) => string) => {
      const providers = p(access[field].providers);
      const c = COLUMN[field];
      where.push(`r.subject IN (SELECT x.subject FROM claimant_records x WHERE x.provider = ANY(${providers}::text[]) AND ${op(`x.${c}`)})`);
      having.push(op(`(array_agg(r.${c} ORDER BY r.supplied_at DESC, r.provider) FILTER (WHERE r.${c} IS NOT NULL AND r.provider = ANY(${providers}::text[])))[1]`));
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
    const sql = `
      SELECT r.subject FROM claimant_records r
      WHERE r.provider = ANY($1::text[]) AND ($2::text IS NULL OR r.subject > $2::text)
        ${where.map((w) => `AND ${w}`).join('\n        ')}
      GROUP BY r.subject
      ${having.length ? `HAVING ${having.join('\n        AND ')}` : ''}
      ORDER BY r.subject
      LIMIT $3::int`;
    const rows: Array<{ subject: string }> = await this.dataSource.query(sql, params);
    return rows.map((r) => r.subject);
  }
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
