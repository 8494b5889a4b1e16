import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { LanguageFitValue } from '@passerelle/policy';
import { RelocationEvents } from '../relocation/relocation-events';

export interface MatchRow {
  id: string;
  publisher: string;
  subject: string;
  postingId: string;
  title: string;
  nocCode: string;
  province: string;
  city: string;
  hourlyWageCents: string;
  languageRequirement: string;
  minEnglishClb: number | null;
  minFrenchNclc: number | null;
  postedAt: Date | null;
  score: number;
  matchedAt: Date;
  /** matched_at as text, for keyset positions */
  matchedAtKey: string;
}

export interface MatchFilter {
  province?: string;
  nocCode?: string;
  minHourlyWageCents?: number;
  postedSince?: Date;
  languageFit?: LanguageFitValue;
}

/** A keyset position: the row's time as the database's own text (exact to the microsecond) and its id. */
export interface PageCursor {
  at: string;
  id: string;
}

export type ReceivedRow = MatchRow & { referralId: string; referredBy: string; referredAt: Date; referredAtKey: string; referralStatus: string };

const MATCH_COLUMNS = `m.id, m.publisher, m.subject, m.posting_id AS "postingId", m.title, m.noc_code AS "nocCode", m.province, m.city,
  m.hourly_wage_cents AS "hourlyWageCents", m.language_requirement AS "languageRequirement",
  m.min_english_clb AS "minEnglishClb", m.min_french_nclc AS "minFrenchNclc", m.posted_at AS "postedAt", m.score,
  m.matched_at AS "matchedAt", m.matched_at::text AS "matchedAtKey"`;

/** SQL of the gateway's job-match reads and referrals (tables from the job-matches migration). */
@Injectable()
export class MatchesRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: RelocationEvents,
  ) {}

  /**
   * The next matches from these publishers, newest first, keyset-paged on (matched_at, id). No
   * value filter here: the disclosure path decides consent first and filters what may be seen.
   */
  async scan(publishers: string[], after: PageCursor | null, limit: number): Promise<MatchRow[]> {
    return (await this.dataSource.query(
      `SELECT ${MATCH_COLUMNS} FROM job_matches m
        WHERE m.publisher = ANY($1::text[])
          AND ($2::timestamptz IS NULL OR (m.matched_at, m.id) < ($2::timestamptz, $3::uuid))
        ORDER BY m.matched_at DESC, m.id DESC
        LIMIT $4`,
      [publishers, after?.at ?? null, after?.id ?? null, limit],
    )) as MatchRow[];
  }

  async match(id: string, subject: string): Promise<MatchRow | undefined> {
    const rows = (await this.dataSource.query(`SELECT ${MATCH_COLUMNS} FROM job_matches m WHERE m.id = $1 AND m.subject = $2`, [id, subject])) as MatchRow[];
    return rows[0];
  }

  /**
   * Records a referral once per (match, receiving agency); a repeat returns the first. The first
   * time, its referral.referred event is written in the same transaction.
   */
  async refer(match: Pick<MatchRow, 'id' | 'province' | 'nocCode'>, subject: string, referredBy: string, toAgency: string): Promise<{ id: string; createdAt: Date }> {
    return this.dataSource.transaction(async (m) => {
      const rows = (await m.query(
        `INSERT INTO relocation_referrals (match_id, subject, referred_by, to_agency) VALUES ($1, $2, $3, $4)
         ON CONFLICT (match_id, to_agency) DO UPDATE SET to_agency = EXCLUDED.to_agency
         RETURNING id, created_at AS "createdAt", (xmax = 0) AS "inserted"`,
        [match.id, subject, referredBy, toAgency],
      )) as Array<{ id: string; createdAt: Date; inserted: boolean }>;
      const { id, createdAt, inserted } = rows[0];
      if (inserted) {
        await this.events.write(m, id, 'referral.referred', new Date(createdAt), {
          referral: { referralId: id, fromStatus: '', toStatus: 'REFERRED', party: 'REFERRING_AGENCY', reason: 'AS_PLANNED', referredBy, toAgency, province: match.province, nocCode: match.nocCode },
          offer: undefined,
        });
      }
      return { id, createdAt };
    });
  }

  /** Referrals received by an agency, newest first, keyset-paged on (created_at, id). */
  async received(toAgency: string, after: PageCursor | null, limit: number): Promise<ReceivedRow[]> {
    return (await this.dataSource.query(
      `SELECT r.id AS "referralId", r.status AS "referralStatus", r.referred_by AS "referredBy", r.created_at AS "referredAt", r.created_at::text AS "referredAtKey", ${MATCH_COLUMNS}
         FROM relocation_referrals r JOIN job_matches m ON m.id = r.match_id
        WHERE r.to_agency = $1 AND ($2::timestamptz IS NULL OR (r.created_at, r.id) < ($2::timestamptz, $3::uuid))
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT $4`,
      [toAgency, after?.at ?? null, after?.id ?? null, limit],
    )) as ReceivedRow[];
  }
}
