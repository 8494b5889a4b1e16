import { agreementVerdict, NO_CONSENT, withConsent, type ConsentStanding, type DisclosureCandidate, type Verdict } from '@passerelle/policy';
import type { Registry } from '@passerelle/registry';

export interface DecideInGateway {
  registry: Registry;
  consumer: string;
  purpose: string;
  at: Date;
  /** each subject's consent standing, read in the same SQL as its records (unread: no consent) */
  standingOf(subject: string): ConsentStanding | undefined;
}

/**
 * Pure: the verdicts consent-audit's Decide would give (same libs/policy rules, same registry),
 * decided in the gateway: the agreement part over the registry it holds, the consent part from
 * the standing its SQL read. Each permit carries what the ledger entry names (agreement, legal
 * basis, consents relied on, registry version), as Decide's answer did.
 */
export function decideInGateway(q: DecideInGateway, candidates: readonly DisclosureCandidate[]): Verdict[] {
  if (candidates.length === 0) return [];
  const agreements = q.registry.document.agreements.filter((a) => a.consumer === q.consumer);
  const legalBasis = new Map(agreements.map((a) => [a.id, a.legalBasis]));
  const consentRequired = q.registry.consentRequired(q.purpose as Parameters<Registry['consentRequired']>[0]);
  const registryVersion = q.registry.version;
  return candidates.map((candidate) => {
    const v = withConsent(agreementVerdict({ consumer: q.consumer, purpose: q.purpose, candidate, agreements, at: q.at }), consentRequired, () => q.standingOf(candidate.subject) ?? NO_CONSENT);
    const basis = legalBasis.get(v.agreementId);
    return { ...v, ...(basis ? { legalBasis: basis } : {}), ...(registryVersion ? { registryVersion } : {}) };
  });
}
