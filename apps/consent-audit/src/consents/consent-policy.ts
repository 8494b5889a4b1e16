import { countingConsents } from '@passerelle/policy';
import type { Registry } from '@passerelle/registry';
import { ConsentRefused } from './consent-errors';
import type { ConsentGrant } from './consent-input';

/** What the rules need to know of an earlier consent of the same subject, purpose and recipient. */
export interface PriorConsent {
  collectedBy: string;
  evidenceSha256: string;
  revokedAt: Date | null;
}

/**
 * Pure: why this grant may not be recorded, or undefined when it may. `grant.collectedBy` is the
 * acting agency (the gateway's verified caller). Rules, in order:
 * - a recipient never records its own consent;
 * - the registry must declare the agency a collector for this purpose and recipient;
 * - after a revocation, only the agency that collected the revoked consent may grant again, and
 *   only with new evidence (a form that was revoked cannot be replayed).
 */
export function consentGrantRefusal(grant: ConsentGrant, registry: Registry, priors: readonly PriorConsent[]): ConsentRefused | undefined {
  if (grant.collectedBy === grant.recipient) {
    return new ConsentRefused('self_granted_consent', 'an agency never records a consent naming itself as recipient: the claimant consents through the agency that collects for it');
  }
  if (!registry.mayCollectConsent(grant.collectedBy, grant.purpose, grant.recipient)) {
    return new ConsentRefused('collector_not_declared', `the registry does not declare ${grant.collectedBy} a consent collector for ${grant.purpose} to ${grant.recipient}`);
  }
  const revoked = priors.filter((p) => p.revokedAt !== null).sort((a, b) => b.revokedAt!.getTime() - a.revokedAt!.getTime());
  if (revoked.length > 0) {
    if (revoked[0].collectedBy !== grant.collectedBy) {
      return new ConsentRefused('regrant_not_by_collector', `this claimant revoked this consent; only its collector (${revoked[0].collectedBy}) may record it again`);
    }
    if (revoked.some((p) => p.evidenceSha256 === grant.evidenceSha256)) {
      return new ConsentRefused('regrant_evidence_reused', 'this evidence belongs to a consent the claimant revoked: a new grant needs a newly signed form');
    }
  }
  return undefined;
}

/** What the disclosures rule needs of a subject's consents. */
export interface CollectedConsent {
  collectedBy: string;
  purpose: string;
  recipient: string;
}

/**
 * Pure: whether `agency` may read the disclosures of a claimant: it collected one of the
 * claimant's consents, for a purpose and recipient the registry (as in force now) declares it a
 * collector of. Recording a consent no longer makes anyone a collector by itself.
 */
export function mayReadDisclosures(agency: string, consents: readonly CollectedConsent[], registry: Registry): boolean {
  return consents.some((c) => c.collectedBy === agency && registry.mayCollectConsent(agency, c.purpose, c.recipient));
}

/**
 * Pure: the consents that count, those whose collector the registry (as in force now) declares
 * for their purpose and recipient. A consent recorded otherwise (self-granted before collectors
 * were declared, or by a collector since removed from the registry) unlocks nothing.
 */
export function declaredConsents<T extends CollectedConsent>(consents: readonly T[], registry: Registry): T[] {
  // The rule lives once in libs/policy: the gateway's SQL is tested equivalent to it.
  return countingConsents(consents, registry.document.consentCollectors);
}
