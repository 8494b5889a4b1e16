import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import { guardTransition, isReferralStatus, partiesOf, transitionRule, type TransitionVerdict } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import type { DisclosureNote } from '../disclosure';
import { BadUserInput, Conflict, ConsentRequired, Forbidden, NotFound } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import type { MadeReferral, ReferralTransition } from './dto/referral.types';
import { ReferralOutboxRelay } from './referral-outbox.relay';
import { ReferralsRepository, type ReferralRow } from './referrals.repository';
import { WillingnessReader } from './willingness.reader';

/** One message for "no such referral" and "a referral you take no part in": no oracle. */
export const REFERRAL_NOT_FOUND = 'no relocation referral with this id concerns you';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_REFERRALS_MADE = 500;

/**
 * Moves referrals along the lifecycle of libs/policy (REFERRAL_TRANSITIONS): the guard says who
 * may make which move, the repository makes it compare-and-set. The claimant's willingness is
 * read on every move: once it has ended, the referral is WITHDRAWN (by the consent's end, not by
 * any agency) and the requested move refused.
 */
@Injectable()
export class ReferralsService {
  constructor(
    private readonly repository: ReferralsRepository,
    private readonly willingness: WillingnessReader,
    private readonly relay: ReferralOutboxRelay,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async move(note: DisclosureNote, caller: VerifiedCaller, referralId: string, to: string, reason: string | null | undefined): Promise<ReferralTransition> {
    if (!isReferralStatus(to)) throw new BadUserInput(`status must be one of REFERRED, CONTACTED, ACCEPTED, DECLINED, RELOCATED, EMPLOYED, WITHDRAWN`);
    const referral = UUID.test(String(referralId)) ? await this.repository.find(referralId) : undefined;
    const parties = referral ? partiesOf(caller.agency, referral, this.employmentAuthorities()) : [];
    if (!referral || parties.length === 0) throw new NotFound(REFERRAL_NOT_FOUND);
    note.disclosed([referral.subject], []);
    const verdicts = parties.map((party) => ({ party, verdict: guardTransition({ from: referral.status, to, party, reason }) }));
    const allowed = verdicts.find((v) => v.verdict.ok);
    if (!allowed) throw refusal(verdicts[0].verdict);
    const rule = (allowed.verdict as Extract<TransitionVerdict, { ok: true }>).rule;
    if (!(await this.willingness.toward(referral.subject, referral.toAgency))) {
      await this.withdrawOnConsentEnd(referral);
      throw new ConsentRequired("the claimant's willingness to relocate has ended: the referral is WITHDRAWN");
    }
    const done = await this.repository.transition(referral, rule, allowed.party, caller.agency, reason ?? rule.reasons[0]);
    if (!done) {
      const now = await this.repository.find(referral.id);
      throw new Conflict(`the referral is ${now?.status ?? 'gone'} now, not ${rule.from}: read it again`);
    }
    this.relay.nudge();
    this.logger.info({ referral: referral.id, from: rule.from, to: rule.to, agency: caller.agency }, 'referral moved');
    return { referralId: done.referralId, from: done.from, to: done.to, reason: done.reason, at: done.at.toISOString() };
  }

  /** Referrals the caller made since `since` (RFC 3339 or YYYY-MM-DD), with their status now. */
  async made(caller: VerifiedCaller, since: string): Promise<MadeReferral[]> {
    const day = /^\d{4}-\d{2}-\d{2}$/.test(since) ? `${since}T00:00:00Z` : since;
    const at = new Date(day);
    if (typeof since !== 'string' || Number.isNaN(at.getTime())) throw new BadUserInput('since must be an RFC 3339 date-time or a day YYYY-MM-DD');
    const rows = await this.repository.made(caller.agency, at, MAX_REFERRALS_MADE);
    return rows.map((r) => ({ id: r.id, toAgency: r.toAgency, status: r.status, referredAt: new Date(r.createdAt).toISOString(), statusChangedAt: new Date(r.statusChangedAt).toISOString(), province: r.province, nocCode: r.nocCode }));
  }

  /**
   * A RELOCATION consent of `subject` to `toAgency` has just ended: unless another willingness to
   * that agency is still in force, every open referral of the claimant to it is WITHDRAWN now (by
   * CLAIMANT_CONSENT, reason CONSENT_REVOKED), its event published. Returns the referrals withdrawn.
   */
  async withdrawOnWillingnessEnd(subject: string, toAgency: string): Promise<string[]> {
    const open = await this.repository.openOf(subject, toAgency);
    if (open.length === 0 || (await this.willingness.toward(subject, toAgency))) return [];
    const withdrawn: string[] = [];
    for (const referral of open) if (await this.withdrawOnConsentEnd(referral)) withdrawn.push(referral.id);
    return withdrawn;
  }

  private async withdrawOnConsentEnd(referral: ReferralRow): Promise<boolean> {
    const rule = transitionRule(referral.status, 'WITHDRAWN');
    if (!rule) return false;
    const done = await this.repository.transition(referral, rule, 'CLAIMANT_CONSENT', null, 'CONSENT_REVOKED');
    if (done) this.relay.nudge();
    if (done) this.logger.info({ referral: referral.id, from: rule.from }, 'referral withdrawn: willingness ended');
    return done !== undefined;
  }

  /** The employment authority: federal agencies that publish job matches (ESDC). */
  private employmentAuthorities(): string[] {
    return this.registry.current().document.agencies.filter((a) => a.jurisdiction === 'CA' && a.roles.includes('PUBLISHER')).map((a) => a.id);
  }
}

function refusal(verdict: TransitionVerdict): Error {
  if (verdict.ok) return new Error('not a refusal');
  switch (verdict.code) {
    case 'WRONG_PARTY':
      return new Forbidden(verdict.reason, { reason: 'wrong_party' });
    case 'ILLEGAL_TRANSITION':
      return new Conflict(verdict.reason, { reason: 'illegal_transition' });
    default:
      return new BadUserInput(verdict.reason);
  }
}
