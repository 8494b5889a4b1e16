import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ClaimantValues, ProviderRecord } from '../claimants/claimant-fields';

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
  english_level: number | null;
}

export const SELECT_RECORD_COLUMNS = `subject, provider, version, supplied_at, claim_status, to_char(claim_date, 'YYYY-MM-DD') AS claim_date, province,
  to_char(work_permit_expiry, 'YYYY-MM-DD') AS work_permit_expiry, noc_code, sector, health_care_hours,
  to_char(hours_period_start, 'YYYY-MM-DD') AS hours_period_start, to_char(hours_period_end, 'YYYY-MM-DD') AS hours_period_end, french_level, english_level`;

/**
 * The subjects after a position, in key order, that hold a record from one of these providers.
 * No value is looked at (the disclosure path decides and filters after consent): a walk on the
 * primary key (subject, provider) that stops at `limit`. Every internal id starts with 'i_', so
 * '' means "from the start".
 */
const SUBJECTS_AFTER_SQL = `
  SELECT DISTINCT c.subject FROM claimant_records c
   WHERE c.provider = ANY($1::text[]) AND c.subject > $2::text
   ORDER BY c.subject
   LIMIT $3::int`;

/** Reads of claimant records for disclosure; no rules here (DisclosureService holds them). */
@Injectable()
export class ClaimantRecordsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async subjectsAfter(providers: readonly string[], after: string | null, limit: number): Promise<string[]> {
    if (providers.length === 0 || limit < 1) return [];
    const rows: Array<{ subject: string }> = await this.dataSource.query(SUBJECTS_AFTER_SQL, [providers, after ?? '', limit]);
    return rows.map((r) => r.subject);
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
}

export function toProviderRecord(r: RecordRow): ProviderRecord {
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
  if (r.english_level !== null && r.english_level !== undefined) values.englishLevel = Number(r.english_level);
  return { subject: r.subject, provider: r.provider, version: Number(r.version), suppliedAt: new Date(r.supplied_at), values };
}

export type { RecordRow };
