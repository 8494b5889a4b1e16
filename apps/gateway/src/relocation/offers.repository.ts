import { Injectable } from '@nestjs/common';
import type { OfferTerms } from '@passerelle/policy';
import { DataSource, type EntityManager } from 'typeorm';
import { RelocationEvents } from './relocation-events';

export interface OfferRow {
  id: string;
  agency: string;
  province: string;
  regions: string[];
  nocCodes: string[];
  places: number;
  periodStart: string;
  periodEnd: string;
  languageSupport: string;
  minFrenchLevel: number | null;
  minEnglishLevel: number | null;
  settlementServices: string[];
  contactKind: string;
  contactValue: string;
  status: 'OPEN' | 'WITHDRAWN';
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, agency, province, regions, noc_codes AS "nocCodes", places, period_start::text AS "periodStart", period_end::text AS "periodEnd",
  language_support AS "languageSupport", min_french_level AS "minFrenchLevel", min_english_level AS "minEnglishLevel",
  settlement_services AS "settlementServices", contact_kind AS "contactKind", contact_value AS "contactValue", status, version,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

const termValues = (t: OfferTerms) => [t.regions, t.nocCodes, t.places, t.periodStart, t.periodEnd, t.languageSupport, t.minFrenchLevel, t.minEnglishLevel, t.settlementServices, t.contact.kind, t.contact.value];

/** The offer as published on passerelle.referrals.v1. */
const offerChange = (r: OfferRow) => ({
  offerId: r.id, agency: r.agency, province: r.province, version: r.version, status: r.status, regions: r.regions, nocCodes: r.nocCodes, places: r.places,
  periodStart: r.periodStart, periodEnd: r.periodEnd, languageSupport: r.languageSupport, minFrenchLevel: r.minFrenchLevel ?? 0, minEnglishLevel: r.minEnglishLevel ?? 0,
});

/**
 * SQL of relocation offers. Every change is compare-and-set on the row's state the caller saw,
 * and writes its signed event (offer.published | offer.amended | offer.withdrawn) in the same transaction.
 */
@Injectable()
export class OffersRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: RelocationEvents,
  ) {}

  private async changed(m: EntityManager, row: OfferRow | undefined, event: string): Promise<OfferRow | undefined> {
    if (row) await this.events.write(m, row.id, event, new Date(row.updatedAt), { offer: offerChange(row), referral: undefined });
    return row;
  }

  async insert(agency: string, province: string, terms: OfferTerms): Promise<OfferRow> {
    return this.dataSource.transaction(async (m) => {
    const rows = (await m.query(
      `INSERT INTO relocation_offers (agency, province, regions, noc_codes, places, period_start, period_end, language_support, min_french_level, min_english_level, settlement_services, contact_kind, contact_value)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${COLUMNS}`,
      [agency, province, ...termValues(terms)],
    )) as OfferRow[];
    return (await this.changed(m, rows[0], 'offer.published'))!;
    });
  }

  /** Amends an OPEN offer of `agency` at `version`; undefined when the offer is not in that state (see `find`). */
  async amend(id: string, agency: string, version: number, terms: OfferTerms): Promise<OfferRow | undefined> {
    return this.dataSource.transaction(async (m) => {
    const [rows] = (await m.query(
      `UPDATE relocation_offers SET regions = $4, noc_codes = $5, places = $6, period_start = $7, period_end = $8, language_support = $9,
              min_french_level = $10, min_english_level = $11, settlement_services = $12, contact_kind = $13, contact_value = $14,
              version = version + 1, updated_at = now()
        WHERE id = $1 AND agency = $2 AND version = $3 AND status = 'OPEN' RETURNING ${COLUMNS}`,
      [id, agency, version, ...termValues(terms)],
    )) as [OfferRow[], number];
    return this.changed(m, rows[0], 'offer.amended');
    });
  }

  /** Withdraws an OPEN offer of `agency`; undefined when it is not open (see `find`). */
  async withdraw(id: string, agency: string): Promise<OfferRow | undefined> {
    return this.dataSource.transaction(async (m) => {
    const [rows] = (await m.query(
      `UPDATE relocation_offers SET status = 'WITHDRAWN', version = version + 1, updated_at = now(), withdrawn_at = now()
        WHERE id = $1 AND agency = $2 AND status = 'OPEN' RETURNING ${COLUMNS}`,
      [id, agency],
    )) as [OfferRow[], number];
    return this.changed(m, rows[0], 'offer.withdrawn');
    });
  }

  async find(id: string): Promise<OfferRow | undefined> {
    return ((await this.dataSource.query(`SELECT ${COLUMNS} FROM relocation_offers WHERE id = $1`, [id])) as OfferRow[])[0];
  }

  /** Offers of these agencies, newest first (bounded: offers are few, one list per province). */
  async ofAgencies(agencies: string[], includeWithdrawn: boolean, limit: number): Promise<OfferRow[]> {
    return (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM relocation_offers WHERE agency = ANY($1::text[]) AND ($2 OR status = 'OPEN') ORDER BY created_at DESC, id DESC LIMIT $3`,
      [agencies, includeWithdrawn, limit],
    )) as OfferRow[];
  }
}

/** At most this many job matches are read to answer relocationCandidates (offers are narrow: a province and a few NOC codes). */
export const MAX_CANDIDATE_MATCHES = 10_000;

@Injectable()
export class CandidatesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Subjects with a job match in `province` for one of `nocCodes`, with the codes matched (bounded read). */
  async fitting(province: string, nocCodes: string[]): Promise<Array<{ subject: string; nocCodes: string[] }>> {
    return (await this.dataSource.query(
      `SELECT subject, array_agg(DISTINCT noc_code ORDER BY noc_code) AS "nocCodes"
         FROM (SELECT subject, noc_code FROM job_matches WHERE province = $1 AND noc_code = ANY($2::text[]) ORDER BY matched_at DESC LIMIT $3) m
        GROUP BY subject ORDER BY subject`,
      [province, nocCodes, MAX_CANDIDATE_MATCHES],
    )) as Array<{ subject: string; nocCodes: string[] }>;
  }
}

/** One provider's language levels for a claimant (NCLC, CLB), with when they were supplied. */
export interface LevelsRow {
  subject: string;
  provider: string;
  french: number | null;
  english: number | null;
  suppliedAt: Date;
}

@Injectable()
export class LevelsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The tested levels these providers hold for these claimants (bounded by the candidates read). */
  async of(subjects: string[], providers: string[]): Promise<LevelsRow[]> {
    if (subjects.length === 0 || providers.length === 0) return [];
    return (await this.dataSource.query(
      `SELECT subject, provider, french_level AS french, english_level AS english, supplied_at AS "suppliedAt"
         FROM claimant_records WHERE subject = ANY($1::text[]) AND provider = ANY($2::text[]) AND (french_level IS NOT NULL OR english_level IS NOT NULL)`,
      [subjects, providers],
    )) as LevelsRow[];
  }
}
