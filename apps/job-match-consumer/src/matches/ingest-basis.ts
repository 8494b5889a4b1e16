import { NO_LEGAL_BASIS, type consentAudit } from '@passerelle/contracts';
import type { Registry } from '@passerelle/registry';
import { JOB_MATCHING } from './consent-window';

export type LegalBasisMembers = Pick<consentAudit.AuditEntryInput, 'agreements' | 'legalBasis' | 'consents' | 'programVersion' | 'registryVersion' | 'rule'>;

/**
 * Pure: the legal basis of a stored job match (docs/contract.md §5.2). The publisher matched the
 * claimant with the fields it receives for JOB_MATCHING: the basis is every JOB_MATCHING agreement
 * in force to the publisher, with its legal basis, the claimant's JOB_MATCHING consents to the
 * publisher that were in force, and the registry version the consumer holds.
 */
export function ingestBasis(registry: Pick<Registry, 'agreementsFor' | 'version'>, publisher: string, consents: readonly string[], at: Date): LegalBasisMembers {
  const agreements = registry.agreementsFor({ consumer: publisher, purpose: JOB_MATCHING, at });
  return {
    ...NO_LEGAL_BASIS,
    agreements: [...new Set(agreements.map((a) => a.id))].sort(),
    legalBasis: [...new Set(agreements.map((a) => a.legalBasis))].sort(),
    consents: [...new Set(consents)].sort(),
    registryVersion: registry.version,
  };
}

/** The registry version alone: what a refusal names (the ledger records its reason as the rule). */
export function refusalBasis(registry: Pick<Registry, 'version'>): LegalBasisMembers {
  return { ...NO_LEGAL_BASIS, registryVersion: registry.version };
}
