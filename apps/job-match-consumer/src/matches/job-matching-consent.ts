import { Injectable } from '@nestjs/common';
import type { ConsentTerms } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { ConsentAuditClient } from './consent-audit.client';
import { JOB_MATCHING, jobMatchingConsents } from './consent-window';

export { JOB_MATCHING, consentEndedAt, jobMatchingConsents, purgeDue } from './consent-window';

/**
 * Whether a claimant's JOB_MATCHING consent to the publisher is in force now. Asked of
 * consent-audit for every chunk of events in ONE Consents.InForce call (all distinct subjects),
 * never cached: a revocation applies to the next chunk. consent-audit applies libs/policy's
 * consentInForce. Decisions.Decide is not used because it needs an agreement candidate
 * (provider, field) and job matches have none.
 */
@Injectable()
export class JobMatchingConsent {
  constructor(
    private readonly consentAudit: ConsentAuditClient,
    private readonly registry: RegistryHolder,
  ) {}

  /**
   * For each `${subject}|${publisher}` pair given whose JOB_MATCHING consent to the publisher is in
   * force now, the ids of those consents (sorted); a pair without one is absent.
   */
  async inForce(pairs: Array<{ subject: string; publisher: string }>): Promise<Map<string, string[]>> {
    const subjects = [...new Set(pairs.map((p) => p.subject))];
    const recipients = subjects.length > 0 ? await this.consentAudit.recipientsInForce(subjects, JOB_MATCHING) : new Map<string, Map<string, string[]>>();
    const out = new Map<string, string[]>();
    for (const { subject, publisher } of pairs) {
      const consents = recipients.get(subject)?.get(publisher);
      if (consents) out.set(`${subject}|${publisher}`, [...consents].sort());
    }
    return out;
  }

  async listFor(subject: string, publisher: string): Promise<ConsentTerms[]> {
    const registry = this.registry.current();
    return jobMatchingConsents(await this.consentAudit.listConsents(subject), publisher, (c) => registry.mayCollectConsent(c.collectedBy, c.purpose, c.recipient));
  }
}
