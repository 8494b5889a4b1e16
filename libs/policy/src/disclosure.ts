/**
 * Access decisions for one (subject, field, provider) candidate: may `consumer` receive it for
 * `purpose` at instant `at`? Pure: values in, a verdict out; no I/O, no clock.
 *
 * Precedence (the first failing step gives the reason):
 *   1. no_agreement           no agreement at all from the provider to the consumer
 *   2. agreement_not_in_force  agreements exist, none in force at `at`
 *   3. purpose_not_covered     none of those in force names the purpose
 *   4. field_not_covered       none of those in force for the purpose names the field
 *   5. consent (only when the purpose requires it), over the consents matching
 *      subject + purpose + recipient = consumer:
 *        - one of them in force at `at`                  → ok
 *        - else one of them revoked at or before `at`    → consent_revoked
 *        - else one of them expired at or before `at`    → consent_expired
 *        - else (none, or only ones starting later)      → consent_required
 *   6. ok
 *
 * Times compare to the second (sub-second parts are dropped): a consent is in force when
 * valid_from ≤ at < expires_at and it was not revoked at or before `at`. A revocation therefore
 * always wins over the validity window. An agreement is in force from the start of its
 * `validFrom` day to the end of its `validTo` day (UTC) when they are plain dates, or over
 * [validFrom, validTo) when they are full timestamps.
 */

export type DisclosureReason =
  | 'ok'
  | 'no_agreement'
  | 'agreement_not_in_force'
  | 'purpose_not_covered'
  | 'field_not_covered'
  | 'consent_required'
  | 'consent_expired'
  | 'consent_revoked';

export const DISCLOSURE_REASONS: readonly DisclosureReason[] = [
  'ok',
  'no_agreement',
  'agreement_not_in_force',
  'purpose_not_covered',
  'field_not_covered',
  'consent_required',
  'consent_expired',
  'consent_revoked',
];

/** The few agreement terms the decision needs (structurally compatible with the registry's Agreement). */
/** The refusals that only the claimant's consent could lift (the one list: CONSENT_REQUIRED vs NO_AGREEMENT). */
export const CONSENT_REASONS: ReadonlySet<DisclosureReason> = new Set<DisclosureReason>(['consent_required', 'consent_expired', 'consent_revoked']);

export function isConsentReason(reason: string): boolean {
  return CONSENT_REASONS.has(reason as DisclosureReason);
}

export interface AgreementTerms {
  id: string;
  provider: string;
  consumer: string;
  purposes: readonly string[];
  fields: readonly string[];
  /** "YYYY-MM-DD" (whole day, UTC) or an ISO-8601 timestamp, or a Date */
  validFrom: string | Date;
  /** "YYYY-MM-DD" (inclusive, whole day, UTC) or an ISO-8601 timestamp (exclusive), or a Date (exclusive) */
  validTo: string | Date;
}

/** The consent terms the decision needs. `subject` is the gateway-internal pseudonym. */
export interface ConsentTerms {
  /** the consent's id, named by the ledger entry of a disclosure it allowed (absent in pure tests) */
  id?: string;
  subject: string;
  purpose: string;
  recipient: string;
  validFrom: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface DisclosureCandidate {
  subject: string;
  field: string;
  provider: string;
}

export interface DisclosureQuestion {
  consumer: string;
  purpose: string;
  candidate: DisclosureCandidate;
  agreements: readonly AgreementTerms[];
  /** Consents to consider; those of other subjects, purposes or recipients are ignored. */
  consents: readonly ConsentTerms[];
  /** Does this purpose require the subject's consent (registry `consentRequiredFor`)? */
  consentRequired: boolean;
  at: Date;
}

export interface Verdict {
  permit: boolean;
  reason: DisclosureReason;
  /** the agreement that covers the candidate ("" when none does) */
  agreementId: string;
  /** the consents in force a permit relied on (absent when the purpose needs none) */
  consentIds?: string[];
  /** as answered by consent-audit's Decide: the agreement's legal basis reference */
  legalBasis?: string;
  /** as answered by consent-audit's Decide: the registry version the verdict was decided under */
  registryVersion?: string;
}

import { consentStanding } from './consent-standing';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_SECONDS = 86_400;

/** Whole seconds since the epoch (floor): decisions are made to the second. */
export function toSecond(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

function boundSecond(value: string | Date, end: boolean): number {
  if (value instanceof Date) return toSecond(value);
  if (DATE_ONLY.test(value)) {
    const start = Date.parse(`${value}T00:00:00Z`) / 1000;
    return end ? start + DAY_SECONDS : start;
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`agreement date is not a date: ${JSON.stringify(value)}`);
  return Math.floor(ms / 1000);
}

/** Is the agreement in force at `at` (see the module comment for the bounds)? */
export function agreementInForce(agreement: Pick<AgreementTerms, 'validFrom' | 'validTo'>, at: Date): boolean {
  const t = toSecond(at);
  return boundSecond(agreement.validFrom, false) <= t && t < boundSecond(agreement.validTo, true);
}

/** Does this consent match the question (subject, purpose, recipient = consumer)? */
export function consentMatches(consent: ConsentTerms, subject: string, purpose: string, consumer: string): boolean {
  return consent.subject === subject && consent.purpose === purpose && consent.recipient === consumer;
}

export function consentRevokedBy(consent: Pick<ConsentTerms, 'revokedAt'>, at: Date): boolean {
  return consent.revokedAt !== null && toSecond(consent.revokedAt) <= toSecond(at);
}

/** valid_from ≤ at < expires_at, to the second, and not revoked at or before `at`. */
export function consentInForce(consent: Pick<ConsentTerms, 'validFrom' | 'expiresAt' | 'revokedAt'>, at: Date): boolean {
  const t = toSecond(at);
  return !consentRevokedBy(consent, at) && toSecond(consent.validFrom) <= t && t < toSecond(consent.expiresAt);
}

function deny(reason: DisclosureReason, agreementId = ''): Verdict {
  return { permit: false, reason, agreementId };
}

/** Steps 1–4: the agreement part alone (a permit here still needs consent when the purpose requires it). */
export function agreementVerdict(q: Omit<DisclosureQuestion, 'consents' | 'consentRequired'>): Verdict {
  const { consumer, purpose, candidate, at } = q;
  const between = q.agreements.filter((a) => a.provider === candidate.provider && a.consumer === consumer);
  if (between.length === 0) return deny('no_agreement');
  const inForce = between.filter((a) => agreementInForce(a, at));
  if (inForce.length === 0) return deny('agreement_not_in_force');
  const forPurpose = inForce.filter((a) => a.purposes.includes(purpose));
  if (forPurpose.length === 0) return deny('purpose_not_covered');
  const covering = forPurpose.find((a) => a.fields.includes(candidate.field));
  if (!covering) return deny('field_not_covered');
  return { permit: true, reason: 'ok', agreementId: covering.id };
}

/** Step 5 applied to an agreement verdict: the subject's consent standing decides a permit that needs consent. */
export function withConsent(agreement: Verdict, consentRequired: boolean, standing: () => { reason: DisclosureReason; consentIds: readonly string[] }): Verdict {
  if (!agreement.permit || !consentRequired) return agreement;
  const s = standing();
  if (s.reason !== 'ok') return deny(s.reason, agreement.agreementId);
  return { ...agreement, ...(s.consentIds.length > 0 ? { consentIds: [...s.consentIds] } : {}) };
}

export function decideDisclosure(q: DisclosureQuestion): Verdict {
  return withConsent(agreementVerdict(q), q.consentRequired, () =>
    consentStanding(
      q.consents.filter((c) => consentMatches(c, q.candidate.subject, q.purpose, q.consumer)),
      q.at,
    ),
  );
}

/**
 * Decides many candidates at once, in order. Consents are indexed by subject once, so a page of
 * many candidates costs one pass over the consents.
 */
export function decideDisclosures(q: Omit<DisclosureQuestion, 'candidate'> & { candidates: readonly DisclosureCandidate[] }): Verdict[] {
  const bySubject = new Map<string, ConsentTerms[]>();
  for (const c of q.consents) {
    const list = bySubject.get(c.subject);
    if (list) list.push(c);
    else bySubject.set(c.subject, [c]);
  }
  return q.candidates.map((candidate) => decideDisclosure({ ...q, candidate, consents: bySubject.get(candidate.subject) ?? [] }));
}

/** Key of a candidate in verdict maps: subject, field and provider, unambiguously joined. */
export const candidateKey = (c: DisclosureCandidate): string => `${c.subject}\u0000${c.field}\u0000${c.provider}`;

/**
 * Verdicts answered in candidate order, as a lookup. A candidate that was not asked about has no
 * verdict (undefined): callers treat that as refused, never as permitted.
 */
export function verdictLookup(candidates: readonly DisclosureCandidate[], verdicts: readonly Verdict[]): (c: DisclosureCandidate) => Verdict | undefined {
  if (verdicts.length !== candidates.length) throw new Error(`${verdicts.length} verdicts for ${candidates.length} candidates`);
  const byKey = new Map<string, Verdict>();
  candidates.forEach((c, i) => byKey.set(candidateKey(c), verdicts[i]));
  return (c) => byKey.get(candidateKey(c));
}

/**
 * One candidate per subject, the first of each: enough to learn whether the subject's consent is
 * in force, since consent is matched on (subject, purpose, recipient) alone (step 5 above) and
 * applies alike to every candidate the agreements cover. A listing asks these first and decides
 * the full candidates only of subjects whose probe was not refused for consent.
 */
export function consentProbes(candidates: readonly DisclosureCandidate[]): DisclosureCandidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => !seen.has(c.subject) && seen.add(c.subject) !== undefined);
}
