/**
 * The referral lifecycle as data (a transition table in the manner of Vendure's state machines):
 *
 *   REFERRED → CONTACTED → ACCEPTED | DECLINED;  ACCEPTED → RELOCATED → EMPLOYED
 *   any open state → WITHDRAWN when the claimant's RELOCATION consent ends
 *
 * Each transition names the one party that may make it and the closed list of reasons it takes.
 * No backwards transition exists; DECLINED, EMPLOYED and WITHDRAWN are final.
 */
export const REFERRAL_STATUSES = ['REFERRED', 'CONTACTED', 'ACCEPTED', 'DECLINED', 'RELOCATED', 'EMPLOYED', 'WITHDRAWN'] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

/**
 * Who acts on a referral: the agency that referred the claimant (in contact with them, it keeps
 * their consent and records their answer), the receiving province (it contacts the claimant and
 * confirms arrival), the employment authority (ESDC, which knows the job started), and the
 * claimant's consent itself (its end withdraws the referral; no agency decides that).
 */
export const REFERRAL_PARTIES = ['REFERRING_AGENCY', 'RECEIVING_PROVINCE', 'EMPLOYMENT_AUTHORITY', 'CLAIMANT_CONSENT'] as const;
export type ReferralParty = (typeof REFERRAL_PARTIES)[number];

export const DECLINE_REASONS = ['FAMILY_TIES_IN_QUEBEC', 'HOUSING_UNSUITABLE', 'LANGUAGE', 'OCCUPATION_UNSUITABLE', 'HEALTH', 'OTHER'] as const;
export const WITHDRAW_REASONS = ['CONSENT_REVOKED', 'CONSENT_EXPIRED'] as const;
export const ADVANCE_REASONS = ['AS_PLANNED'] as const;
export type TransitionReason = (typeof DECLINE_REASONS)[number] | (typeof WITHDRAW_REASONS)[number] | (typeof ADVANCE_REASONS)[number];

export interface TransitionRule {
  from: ReferralStatus;
  to: ReferralStatus;
  by: ReferralParty;
  reasons: readonly TransitionReason[];
  /** the Kafka event type published for it */
  event: string;
}

const OPEN: readonly ReferralStatus[] = ['REFERRED', 'CONTACTED', 'ACCEPTED', 'RELOCATED'];

export const REFERRAL_TRANSITIONS: readonly TransitionRule[] = [
  { from: 'REFERRED', to: 'CONTACTED', by: 'RECEIVING_PROVINCE', reasons: ADVANCE_REASONS, event: 'referral.contacted' },
  { from: 'CONTACTED', to: 'ACCEPTED', by: 'REFERRING_AGENCY', reasons: ADVANCE_REASONS, event: 'referral.accepted' },
  { from: 'CONTACTED', to: 'DECLINED', by: 'REFERRING_AGENCY', reasons: DECLINE_REASONS, event: 'referral.declined' },
  { from: 'ACCEPTED', to: 'RELOCATED', by: 'RECEIVING_PROVINCE', reasons: ADVANCE_REASONS, event: 'referral.relocated' },
  { from: 'RELOCATED', to: 'EMPLOYED', by: 'EMPLOYMENT_AUTHORITY', reasons: ADVANCE_REASONS, event: 'referral.employed' },
  ...OPEN.map((from): TransitionRule => ({ from, to: 'WITHDRAWN', by: 'CLAIMANT_CONSENT', reasons: WITHDRAW_REASONS, event: 'referral.withdrawn' })),
];

export const FINAL_STATUSES: readonly ReferralStatus[] = REFERRAL_STATUSES.filter((s) => !REFERRAL_TRANSITIONS.some((t) => t.from === s));

export type TransitionRefusalCode = 'UNKNOWN_STATUS' | 'ILLEGAL_TRANSITION' | 'WRONG_PARTY' | 'INVALID_REASON';
export type TransitionVerdict = { ok: true; rule: TransitionRule } | { ok: false; code: TransitionRefusalCode; reason: string };

export function isReferralStatus(value: unknown): value is ReferralStatus {
  return typeof value === 'string' && (REFERRAL_STATUSES as readonly string[]).includes(value);
}

/** The rule for from → to, when there is one. */
export function transitionRule(from: ReferralStatus, to: ReferralStatus): TransitionRule | undefined {
  return REFERRAL_TRANSITIONS.find((t) => t.from === from && t.to === to);
}

/**
 * The guard: may `party` move a referral from `from` to `to` for `reason`? A refusal says why,
 * in words fit for the caller (statuses and parties only; never anything about the claimant).
 * A missing reason means the transition's only reason when it has exactly one.
 */
export function guardTransition(request: { from: string; to: string; party: ReferralParty; reason?: string | null }): TransitionVerdict {
  const { from, to, party } = request;
  if (!isReferralStatus(from)) return { ok: false, code: 'UNKNOWN_STATUS', reason: `the referral is in an unknown status` };
  if (!isReferralStatus(to)) return { ok: false, code: 'UNKNOWN_STATUS', reason: `status must be one of ${REFERRAL_STATUSES.join(', ')}` };
  const rule = transitionRule(from, to);
  if (!rule) {
    const next = REFERRAL_TRANSITIONS.filter((t) => t.from === from).map((t) => t.to);
    return {
      ok: false,
      code: 'ILLEGAL_TRANSITION',
      reason: next.length === 0 ? `a ${from} referral is final and cannot move to ${to}` : `a ${from} referral can only move to ${next.join(' or ')}, not ${to}`,
    };
  }
  if (rule.by !== party) return { ok: false, code: 'WRONG_PARTY', reason: `only the ${partyWords(rule.by)} may move a referral from ${from} to ${to}` };
  const reason = request.reason ?? (rule.reasons.length === 1 ? rule.reasons[0] : null);
  if (reason === null || !(rule.reasons as readonly string[]).includes(reason)) {
    return { ok: false, code: 'INVALID_REASON', reason: `reason for ${from} → ${to} must be one of ${rule.reasons.join(', ')}` };
  }
  return { ok: true, rule };
}

export function partyWords(party: ReferralParty): string {
  switch (party) {
    case 'REFERRING_AGENCY':
      return 'referring agency';
    case 'RECEIVING_PROVINCE':
      return 'receiving province';
    case 'EMPLOYMENT_AUTHORITY':
      return 'employment authority (ESDC)';
    case 'CLAIMANT_CONSENT':
      return "end of the claimant's consent";
  }
}

/**
 * Which parties the calling agency is, for one referral: it may be several (an agency that
 * refers and also publishes jobs), and it is never CLAIMANT_CONSENT (only the consent's end is).
 */
export function partiesOf(agency: string, referral: { referredBy: string; toAgency: string }, employmentAuthorities: readonly string[]): ReferralParty[] {
  const parties: ReferralParty[] = [];
  if (agency === referral.referredBy) parties.push('REFERRING_AGENCY');
  if (agency === referral.toAgency) parties.push('RECEIVING_PROVINCE');
  if (employmentAuthorities.includes(agency)) parties.push('EMPLOYMENT_AUTHORITY');
  return parties;
}
