import { Inject, Injectable } from '@nestjs/common';
import type { ConsentStanding } from '@passerelle/policy';
import { DataSource } from 'typeorm';
import type { AccessMap, ClaimantFilter } from '../claimants/claimant-access';
import type { ClaimantValues, ProviderRecord } from '../claimants/claimant-fields';
import { windowConditions } from './claimant-window.sql';
import { Coalescer } from '../audit/coalescer';
import { consentInForceSql, nextSecond, standingLateral, standingOf, type StandingColumns, type StandingQuestion } from './consent-standing.sql';

/** One read of records (and consent standing) waiting for its turn's statement. */
interface RecordsRead {
  subjects: readonly string[];
  providers: readonly string[];
  consent: StandingQuestion | null;
}

/** Reads with the same key ask the same SQL question of different subjects. */
function sameQuestionKey({ providers, consent }: Pick<RecordsRead, 'providers' | 'consent'>): string {
  const question = consent && [consent.purpose, consent.recipient, [...consent.collectors].sort(), nextSecond(consent.at).getTime()];
  return JSON.stringify([[...new Set(providers)].sort(), question]);
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
  /** the reads of one event-loop turn, gathered (see recordsWithStanding) */
  private readonly reads = new Coalescer<RecordsRead, { read: RecordsAndStandings } | { error: unknown }>((batch) => this.readTogether(batch), 256);

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async subjectsAfter(providers: readonly string[], after: string | null, limit: number): Promise<string[]> {
    if (providers.length === 0 || limit < 1) return [];
    const rows: Array<{ subject: string }> = await this.dataSource.query(SUBJECTS_AFTER_SQL, [providers, after ?? '', limit]);
    return rows.map((r) => r.subject);
  }

  /** The current records of these subjects from these providers. */
  async records(subjects: readonly string[], providers: readonly string[]): Promise<ProviderRecord[]> {
    return (await this.recordsWithStanding(subjects, providers, null)).records;
  }

  /**
   * The current records of these subjects from these providers and, in the SAME statement (one
   * snapshot, no cache: a revocation committed before it binds it), each subject's consent
   * standing for the question (null: the purpose needs no consent, consents are not read).
   *
   * Reads asked in the same turn of the event loop with the same providers and the same consent
   * question (purpose, recipient, collectors, second) go to PostgreSQL as ONE statement over the
   * union of their subjects (issue 15: one statement per read was the largest cost left on the
   * trust path); each read gets back the rows of its own subjects only. The statement still
   * starts after every read in it was asked, so a revocation committed before a request arrived
   * binds it as before.
   */
  async recordsWithStanding(subjects: readonly string[], providers: readonly string[], consent: StandingQuestion | null): Promise<RecordsAndStandings> {
    if (subjects.length === 0 || providers.length === 0) return { records: [], standings: new Map() };
    const answer = await this.reads.submit({ subjects, providers, consent });
    if ('error' in answer) throw answer.error;
    return answer.read;
  }

  /** One statement per group of reads that ask the same question; a failing statement fails its own group only. */
  private async readTogether(batch: RecordsRead[]): Promise<Array<{ read: RecordsAndStandings } | { error: unknown }>> {
    const groups = new Map<string, number[]>();
    batch.forEach((read, i) => {
      const key = sameQuestionKey(read);
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const answers: Array<{ read: RecordsAndStandings } | { error: unknown }> = new Array(batch.length);
    await Promise.all(
      [...groups.values()].map(async (members) => {
        const { providers, consent } = batch[members[0]];
        try {
          const rows = await this.readRowsOf([...new Set(members.flatMap((i) => batch[i].subjects))], providers, consent);
          const bySubject = new Map<string, typeof rows>();
          for (const r of rows) bySubject.set(r.subject, [...(bySubject.get(r.subject) ?? []), r]);
          for (const i of members) {
            const own = [...new Set(batch[i].subjects)].flatMap((s) => bySubject.get(s) ?? []);
            answers[i] = { read: readRows(own, consent !== null) };
          }
        } catch (error) {
          for (const i of members) answers[i] = { error };
        }
      }),
    );
    return answers;
  }

  private async readRowsOf(subjects: readonly string[], providers: readonly string[], consent: StandingQuestion | null): Promise<Array<RecordRow & Partial<StandingColumns>>> {
    const params: unknown[] = [subjects, providers];
    const sql = consent
      ? `SELECT ${SELECT_RECORD_COLUMNS_OF('r')}, s.consent_ids, s.consent_revoked, s.consent_expired
           FROM claimant_records r CROSS JOIN ${standingLateral('r.subject', consent, params)} s
          WHERE r.subject = ANY($1::text[]) AND r.provider = ANY($2::text[])`
      : `SELECT ${SELECT_RECORD_COLUMNS} FROM claimant_records WHERE subject = ANY($1::text[]) AND provider = ANY($2::text[])`;
    return this.dataSource.query(sql, params);
  }

  /** Each subject's consent standing (for features whose rows are not claimant records: matches, referrals). */
  async standings(subjects: readonly string[], consent: StandingQuestion): Promise<Map<string, ConsentStanding>> {
    if (subjects.length === 0) return new Map();
    const params: unknown[] = [[...new Set(subjects)]];
    const rows: Array<StandingColumns & { subject: string }> = await this.dataSource.query(
      `SELECT u.subject, s.consent_ids, s.consent_revoked, s.consent_expired FROM unnest($1::text[]) AS u(subject) CROSS JOIN ${standingLateral('u.subject', consent, params)} s`,
      params,
    );
    return new Map(rows.map((r) => [r.subject, standingOf(r)]));
  }

  /**
   * The claimants listing's window in one statement: among the next `maxRows` subjects after
   * `after` (key order, holding a record of a readable provider, whatever their values), the first
   * `wanted` that the caller may see now (a field it may be disclosed, consent in force when
   * `consent` is given) and whose merged values pass the filter — with their records and consent
   * standing read in the same snapshot. Streams: the walk stops once `wanted` are found.
   */
  async windowHits(
    access: AccessMap,
    readable: readonly string[],
    filter: ClaimantFilter,
    consent: StandingQuestion | null,
    after: string | null,
    maxRows: number,
    wanted: number,
  ): Promise<RecordsAndStandings & { subjects: string[] }> {
    const params: unknown[] = [readable, after ?? '', maxRows, wanted];
    const conds = windowConditions(access, filter, params);
    const consentCond = consent ? `AND ${consentInForceSql('w.subject', consent, params)}` : '';
    const standing = consent ? standingLateral('r.subject', consent, params) : null;
    const sql = `
      WITH hit AS MATERIALIZED (
        SELECT w.subject FROM (
          SELECT m.subject, (${conds.join(' AND ')}) AS ok
            FROM claimant_records m
           WHERE m.provider = ANY($1::text[]) AND m.subject > $2::text
           GROUP BY m.subject
           ORDER BY m.subject
           LIMIT $3::int
        ) w
        WHERE w.ok ${consentCond}
        ORDER BY w.subject
        LIMIT $4::int
      )
      SELECT ${SELECT_RECORD_COLUMNS_OF('r')}${standing ? ', s.consent_ids, s.consent_revoked, s.consent_expired' : ''}
        FROM hit JOIN claimant_records r ON r.subject = hit.subject AND r.provider = ANY($1::text[])
        ${standing ? `CROSS JOIN ${standing} s` : ''}
       ORDER BY r.subject`;
    const rows: Array<RecordRow & Partial<StandingColumns>> = await this.dataSource.query(sql, params);
    const read = readRows(rows, consent !== null);
    const subjects: string[] = [];
    for (const r of rows) if (subjects[subjects.length - 1] !== r.subject) subjects.push(r.subject);
    return { ...read, subjects };
  }

  /** How many of the next `maxRows` subjects after `after` exist, and the last of them (where a short page's window ends). */
  async windowEnd(readable: readonly string[], after: string | null, maxRows: number): Promise<{ count: number; last: string | null }> {
    const [row]: Array<{ n: number; last: string | null }> = await this.dataSource.query(
      `SELECT count(*)::int AS n, max(w.subject) AS last FROM (${SUBJECTS_AFTER_SQL}) w`,
      [readable, after ?? '', maxRows],
    );
    return { count: Number(row.n), last: row.last };
  }
}

export interface RecordsAndStandings {
  records: ProviderRecord[];
  /** per subject read (only when consent was asked about) */
  standings: Map<string, ConsentStanding>;
}

/** SELECT_RECORD_COLUMNS of table alias `a`. */
const SELECT_RECORD_COLUMNS_OF = (a: string) => `${a}.subject, ${a}.provider, ${a}.version, ${a}.supplied_at, ${a}.claim_status, to_char(${a}.claim_date, 'YYYY-MM-DD') AS claim_date, ${a}.province,
  to_char(${a}.work_permit_expiry, 'YYYY-MM-DD') AS work_permit_expiry, ${a}.noc_code, ${a}.sector, ${a}.health_care_hours,
  to_char(${a}.hours_period_start, 'YYYY-MM-DD') AS hours_period_start, to_char(${a}.hours_period_end, 'YYYY-MM-DD') AS hours_period_end, ${a}.french_level, ${a}.english_level`;

function readRows(rows: Array<RecordRow & Partial<StandingColumns>>, withStanding: boolean): RecordsAndStandings {
  const standings = new Map<string, ConsentStanding>();
  if (withStanding) for (const r of rows) if (!standings.has(r.subject)) standings.set(r.subject, standingOf(r as StandingColumns));
  return { records: rows.map(toProviderRecord), standings };
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
