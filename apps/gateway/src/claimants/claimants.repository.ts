import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SELECT_RECORD_COLUMNS, toProviderRecord, type RecordRow } from '../disclosure/claimant-records.repository';
import type { ClaimantValues } from './claimant-fields';
import type { EmploymentToStore } from './claimant-validation';

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
  'english_level',
] as const;

export interface RecordToStore {
  subject: string;
  values: ClaimantValues;
  /** the provider's employment periods about the subject (replacing its previous ones) */
  employment?: EmploymentToStore[];
}

export interface StoreResult {
  /** subjects whose record changed, with the new version; absent subjects were identical (no new version) */
  changed: Map<string, number>;
}

/**
 * Upsert of a whole submission in ONE statement (so one transaction): unnest() turns the column
 * arrays into rows; ON CONFLICT updates only rows whose values differ (an identical
 * resubmission writes nothing); the changed rows are copied into the append-only history.
 */
const UPSERT_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::date[], $6::text[], $7::text[], $8::int[], $9::date[], $10::date[], $11::smallint[], $12::smallint[])
    AS t(subject, claim_status, claim_date, province, work_permit_expiry, noc_code, sector, health_care_hours, hours_period_start, hours_period_end, french_level, english_level)
),
upserted AS (
  INSERT INTO claimant_records AS cr (subject, provider, ${VALUE_COLUMNS.join(', ')}, version, supplied_at, supplied_by_kid)
  SELECT subject, $13, ${VALUE_COLUMNS.join(', ')}, 1, now(), $14 FROM input
  ON CONFLICT (subject, provider) DO UPDATE SET
    ${VALUE_COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
    version = cr.version + 1, supplied_at = EXCLUDED.supplied_at, supplied_by_kid = EXCLUDED.supplied_by_kid
  WHERE (${VALUE_COLUMNS.map((c) => `cr.${c}`).join(', ')}) IS DISTINCT FROM (${VALUE_COLUMNS.map((c) => `EXCLUDED.${c}`).join(', ')})
  RETURNING cr.*
)
INSERT INTO claimant_record_versions (subject, provider, version, ${VALUE_COLUMNS.join(', ')}, supplied_at, supplied_by_kid, request_jti)
SELECT subject, provider, version, ${VALUE_COLUMNS.join(', ')}, supplied_at, supplied_by_kid, $15 FROM upserted
RETURNING subject, version`;

/** Claimant submissions in SQL; no rules here (ClaimantsService holds them). Reads for disclosure are in disclosure/. */
@Injectable()
export class ClaimantsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async store(provider: string, kid: string, jti: string, records: readonly RecordToStore[]): Promise<StoreResult> {
    if (records.length === 0) return { changed: new Map() };
    const col = <T>(pick: (v: ClaimantValues) => T | undefined) => records.map((r) => pick(r.values) ?? null);
    return this.dataSource.transaction(async (m) => {
    const rows: Array<{ subject: string; version: number }> = await m.query(UPSERT_SQL, [
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
      col((v) => v.englishLevel),
      provider,
      kid,
      jti,
    ]);
    // Employment periods: the submission replaces the provider's periods about each subject it names, in the same transaction.
    await m.query(`DELETE FROM employment_periods WHERE provider = $1 AND subject = ANY($2::text[])`, [provider, records.map((r) => r.subject)]);
    const periods = records.flatMap((r) => (r.employment ?? []).map((p) => ({ subject: r.subject, ...p })));
    if (periods.length > 0) {
      await m.query(
        `INSERT INTO employment_periods (subject, provider, employer_ref, employer_sector, worksite_sector, start_day, end_day, hours, request_jti)
         SELECT subject, $1, employer_ref, employer_sector, worksite_sector, start_day, end_day, hours, $2
           FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::date[], $9::int[]) AS t(subject, employer_ref, employer_sector, worksite_sector, start_day, end_day, hours)`,
        [provider, jti, periods.map((p) => p.subject), periods.map((p) => p.employerRef), periods.map((p) => p.employerSector), periods.map((p) => p.worksiteSector), periods.map((p) => p.start), periods.map((p) => p.end), periods.map((p) => p.hours)],
      );
    }
    return { changed: new Map(rows.map((r) => [r.subject, Number(r.version)])) };
    });
  }

  /** The version history of one subject's records from one provider, oldest first (for tests and operators). */
  async history(subject: string, provider: string): Promise<Array<{ version: number; suppliedByKid: string; requestJti: string; values: ClaimantValues }>> {
    const rows: Array<RecordRow & { supplied_by_kid: string; request_jti: string }> = await this.dataSource.query(
      `SELECT ${SELECT_RECORD_COLUMNS}, supplied_by_kid, request_jti FROM claimant_record_versions WHERE subject = $1 AND provider = $2 ORDER BY version`,
      [subject, provider],
    );
    return rows.map((r) => ({ version: Number(r.version), suppliedByKid: r.supplied_by_kid, requestJti: r.request_jti, values: toProviderRecord(r).values }));
  }
}
