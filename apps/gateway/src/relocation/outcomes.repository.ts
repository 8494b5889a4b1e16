import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface ReferralCountRow {
  referredBy: string;
  toAgency: string;
  noc: string;
  status: string;
  referrals: number;
  acceptances: number;
  moves: number;
  jobs: number;
}

export interface OfferCountRow {
  province: string;
  noc: string;
  offers: number;
  places: number;
}

/** Aggregates only: no row of this repository names a claimant. */
@Injectable()
export class OutcomesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Referrals made in [from, to), counted by agencies, occupation and status now, with how far each got (from its events). */
  async referrals(from: Date, to: Date): Promise<ReferralCountRow[]> {
    return (await this.dataSource.query(
      `SELECT r.referred_by AS "referredBy", r.to_agency AS "toAgency", m.noc_code AS noc, r.status,
              count(*)::int AS referrals,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = r.id AND e.to_status = 'ACCEPTED'))::int AS acceptances,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = r.id AND e.to_status = 'RELOCATED'))::int AS moves,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = r.id AND e.to_status = 'EMPLOYED'))::int AS jobs
         FROM relocation_referrals r JOIN job_matches m ON m.id = r.match_id
        WHERE r.created_at >= $1 AND r.created_at < $2
        GROUP BY 1, 2, 3, 4`,
      [from, to],
    )) as ReferralCountRow[];
  }

  /** Offers in force at some time in [from, to) (their period overlaps it and they were not withdrawn before it). */
  async offers(from: Date, to: Date): Promise<OfferCountRow[]> {
    return (await this.dataSource.query(
      `SELECT o.province, noc, count(*)::int AS offers, sum(o.places)::int AS places
         FROM relocation_offers o CROSS JOIN LATERAL unnest(o.noc_codes) AS noc
        WHERE o.period_start < $2::date AND o.period_end >= $1::date AND o.created_at < $4 AND (o.withdrawn_at IS NULL OR o.withdrawn_at >= $3)
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [from.toISOString().slice(0, 10), to.toISOString().slice(0, 10), from, to],
    )) as OfferCountRow[];
  }
}
