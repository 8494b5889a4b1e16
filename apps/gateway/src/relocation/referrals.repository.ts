import { Injectable } from '@nestjs/common';
import type { ReferralParty, ReferralStatus, TransitionRule } from '@passerelle/policy';
import { DataSource } from 'typeorm';
import { RelocationEvents } from './relocation-events';

export interface ReferralRow {
  id: string;
  subject: string;
  referredBy: string;
  toAgency: string;
  status: ReferralStatus;
  createdAt: Date;
  statusChangedAt: Date;
  province: string;
  nocCode: string;
}

export interface TransitionRecord {
  referralId: string;
  from: ReferralStatus;
  to: ReferralStatus;
  reason: string;
  at: Date;
}


const COLUMNS = `r.id, r.subject, r.referred_by AS "referredBy", r.to_agency AS "toAgency", r.status, r.created_at AS "createdAt",
  r.status_changed_at AS "statusChangedAt", m.province, m.noc_code AS "nocCode"`;

/** SQL of referral transitions: compare-and-set on the status, event and outbox row in the same transaction. */
@Injectable()
export class ReferralsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: RelocationEvents,
  ) {}

  async find(id: string): Promise<ReferralRow | undefined> {
    return ((await this.dataSource.query(`SELECT ${COLUMNS} FROM relocation_referrals r JOIN job_matches m ON m.id = r.match_id WHERE r.id = $1`, [id])) as ReferralRow[])[0];
  }

  /**
   * Moves a referral from `rule.from` to `rule.to` only if it is still in `rule.from`; undefined
   * when it is not (another move won, or a replay). The message names the referral, never the claimant.
   */
  async transition(referral: Pick<ReferralRow, 'id' | 'referredBy' | 'toAgency' | 'province' | 'nocCode'>, rule: TransitionRule, party: ReferralParty, agency: string | null, reason: string): Promise<TransitionRecord | undefined> {
    return this.dataSource.transaction(async (m) => {
      const [rows] = (await m.query(
        `UPDATE relocation_referrals SET status = $3, status_changed_at = now() WHERE id = $1 AND status = $2 RETURNING status_changed_at AS "at"`,
        [referral.id, rule.from, rule.to],
      )) as [Array<{ at: Date }>, number];
      if (rows.length === 0) return undefined;
      const at = new Date(rows[0].at);
      await m.query(`INSERT INTO referral_events (referral_id, from_status, to_status, party, agency, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        referral.id, rule.from, rule.to, party, agency, reason, at,
      ]);
      await this.events.write(m, referral.id, rule.event, at, {
        referral: { referralId: referral.id, fromStatus: rule.from, toStatus: rule.to, party, reason, referredBy: referral.referredBy, toAgency: referral.toAgency, province: referral.province, nocCode: referral.nocCode },
        offer: undefined,
      });
      return { referralId: referral.id, from: rule.from, to: rule.to, reason, at };
    });
  }

  /** The open referrals (not final) of one claimant to one receiving agency (few: one per match). */
  async openOf(subject: string, toAgency: string): Promise<ReferralRow[]> {
    return (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM relocation_referrals r JOIN job_matches m ON m.id = r.match_id
        WHERE r.subject = $1 AND r.to_agency = $2 AND r.status IN ('REFERRED', 'CONTACTED', 'ACCEPTED', 'RELOCATED') ORDER BY r.created_at`,
      [subject, toAgency],
    )) as ReferralRow[];
  }

  /** Referrals made by an agency since an instant, newest first (bounded). */
  async made(referredBy: string, since: Date, limit: number): Promise<ReferralRow[]> {
    return (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM relocation_referrals r JOIN job_matches m ON m.id = r.match_id
        WHERE r.referred_by = $1 AND r.created_at >= $2 ORDER BY r.created_at DESC, r.id DESC LIMIT $3`,
      [referredBy, since, limit],
    )) as ReferralRow[];
  }
}
