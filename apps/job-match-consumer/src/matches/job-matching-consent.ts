import { Injectable } from '@nestjs/common';
import type { consentAudit } from '@passerelle/contracts';
import { consentInForce, type ConsentTerms } from '@passerelle/policy';
import { ConsentAuditClient } from './consent-audit.client';
import { jobMatchingConsents } from './consent-window';

export { JOB_MATCHING, consentEndedAt, jobMatchingConsents, purgeDue } from './consent-window';

/**
 * Whether a claimant's JOB_MATCHING consent to the publisher is in force now. Asked of
 * consent-audit (Consents.List) for every event, never cached: a revocation applies to the very
 * next event. Decisions.Decide is not used because it needs an agreement candidate (provider,
 * field) and job matches have none: it has no consent-only form today.
 */
@Injectable()
export class JobMatchingConsent {
  constructor(private readonly consentAudit: ConsentAuditClient) {}

  /** For each `${subject}|${publisher}` pair given, whether consent is in force at `at`. */
  async inForce(pairs: Array<{ subject: string; publisher: string }>, at = new Date(), concurrency = 64): Promise<Map<string, boolean>> {
    const subjects = [...new Set(pairs.map((p) => p.subject))];
    const bySubject = new Map<string, consentAudit.ConsentRecord[]>();
    let next = 0;
    const worker = async () => {
      while (next < subjects.length) {
        const subject = subjects[next++];
        bySubject.set(subject, await this.consentAudit.listConsents(subject));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, subjects.length) }, worker));
    const out = new Map<string, boolean>();
    for (const { subject, publisher } of pairs) {
      const consents = jobMatchingConsents(bySubject.get(subject) ?? [], publisher);
      out.set(`${subject}|${publisher}`, consents.some((c) => consentInForce(c, at)));
    }
    return out;
  }

  async listFor(subject: string, publisher: string): Promise<ConsentTerms[]> {
    return jobMatchingConsents(await this.consentAudit.listConsents(subject), publisher);
  }
}
