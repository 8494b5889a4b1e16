/**
 * Which consents count, and where a subject stands on consent for one (purpose, recipient) at an
 * instant: the one rule shared by consent-audit (Decide, InForce) and the gateway (which answers
 * the same question in the SQL that reads the records; its predicate is tested equivalent to this).
 * Pure: values in, a standing out; no I/O, no clock.
 */
import { consentInForce, consentMatches, consentRevokedBy, toSecond, type ConsentTerms, type DisclosureReason } from './disclosure';

/** A registry `consentCollectors` entry (structurally the registry's ConsentCollector). */
export interface CollectorDeclaration {
  agency: string;
  purposes: readonly string[];
  recipients: readonly string[];
}

/** A consent as stored: its terms and who collected it. */
export interface CollectedConsentTerms extends ConsentTerms {
  collectedBy: string;
}

/**
 * Whether the registry declares `agency` a collector of consent for `purpose` to `recipient`.
 * Never for an agency's own consent: a recipient does not collect consent to itself.
 */
export function collectorDeclared(collectors: readonly CollectorDeclaration[] | undefined, agency: string, purpose: string, recipient: string): boolean {
  if (agency === recipient) return false;
  return (collectors ?? []).some((c) => c.agency === agency && c.purposes.includes(purpose) && c.recipients.includes(recipient));
}

/** The agencies whose consents count for (purpose, recipient), sorted: what the gateway's SQL matches `collected_by` against. */
export function declaredCollectors(collectors: readonly CollectorDeclaration[] | undefined, purpose: string, recipient: string): string[] {
  return [...new Set((collectors ?? []).map((c) => c.agency))].filter((a) => collectorDeclared(collectors, a, purpose, recipient)).sort();
}

/**
 * The consents that count: those whose collector the registry (as in force now) declares for
 * their purpose and recipient. One recorded otherwise (self-granted before collectors were
 * declared, or by a collector since removed from the registry) unlocks nothing.
 */
export function countingConsents<T extends Pick<CollectedConsentTerms, 'collectedBy' | 'purpose' | 'recipient'>>(consents: readonly T[], collectors: readonly CollectorDeclaration[] | undefined): T[] {
  return consents.filter((c) => collectorDeclared(collectors, c.collectedBy, c.purpose, c.recipient));
}

export type ConsentReason = Extract<DisclosureReason, 'ok' | 'consent_required' | 'consent_expired' | 'consent_revoked'>;

/** Where a subject stands on consent for one (purpose, recipient) at one instant. */
export interface ConsentStanding {
  /** ok, or the consent refusal of libs/policy's decideDisclosure (step 5) */
  reason: ConsentReason;
  /** the counting consents in force (sorted; empty unless ok) */
  consentIds: string[];
}

export const NO_CONSENT: ConsentStanding = Object.freeze({ reason: 'consent_required', consentIds: [] }) as ConsentStanding;

/**
 * Step 5 of decideDisclosure over the consents that count and match (subject, purpose,
 * recipient): one in force → ok (with their ids); else one revoked at or before `at` → revoked;
 * else one expired at or before `at` → expired; else (none, or only ones starting later) → required.
 */
export function consentStanding(matching: readonly ConsentTerms[], at: Date): ConsentStanding {
  const inForce = matching.filter((c) => consentInForce(c, at));
  if (inForce.length > 0) return { reason: 'ok', consentIds: inForce.flatMap((c) => (c.id ? [c.id] : [])).sort() };
  if (matching.some((c) => consentRevokedBy(c, at))) return { reason: 'consent_revoked', consentIds: [] };
  if (matching.some((c) => toSecond(c.expiresAt) <= toSecond(at))) return { reason: 'consent_expired', consentIds: [] };
  return NO_CONSENT;
}

/**
 * Standing of each subject for (purpose, recipient) from stored consents of any kind: only those
 * that match and count are looked at. What consent-audit computes from its rows and the gateway's
 * SQL computes in the database.
 */
export function standingsOf(
  subjects: readonly string[],
  consents: readonly CollectedConsentTerms[],
  q: { purpose: string; recipient: string; collectors: readonly CollectorDeclaration[] | undefined; at: Date },
): Map<string, ConsentStanding> {
  const bySubject = new Map<string, CollectedConsentTerms[]>();
  for (const c of countingConsents(consents, q.collectors)) {
    if (!consentMatches(c, c.subject, q.purpose, q.recipient)) continue;
    const list = bySubject.get(c.subject);
    if (list) list.push(c);
    else bySubject.set(c.subject, [c]);
  }
  return new Map(subjects.map((s) => [s, consentStanding(bySubject.get(s) ?? [], q.at)]));
}
