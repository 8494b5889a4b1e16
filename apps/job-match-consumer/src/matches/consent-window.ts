import type { consentAudit } from '@passerelle/contracts';
import { consentInForce, type ConsentTerms } from '@passerelle/policy';

/** Pure rules about a claimant's JOB_MATCHING consent window (no I/O, no clock). */
export const JOB_MATCHING = 'JOB_MATCHING';

function terms(c: consentAudit.ConsentRecord): ConsentTerms | null {
  const validFrom = Date.parse(c.validFrom);
  const expiresAt = Date.parse(c.expiresAt);
  if (Number.isNaN(validFrom) || Number.isNaN(expiresAt)) return null;
  const revokedAt = c.revokedAt ? new Date(Date.parse(c.revokedAt)) : null;
  return { subject: c.subject, purpose: c.purpose, recipient: c.recipient, validFrom: new Date(validFrom), expiresAt: new Date(expiresAt), revokedAt };
}

/**
 * The subject's JOB_MATCHING consents whose recipient is the publisher and whose collector the
 * registry declares (`declared`; by default all): an undeclared or self-granted consent keeps no match.
 */
export function jobMatchingConsents(
  consents: readonly consentAudit.ConsentRecord[],
  publisher: string,
  declared: (c: consentAudit.ConsentRecord) => boolean = () => true,
): ConsentTerms[] {
  return consents
    .filter((c) => c.purpose === JOB_MATCHING && c.recipient === publisher && declared(c))
    .map(terms)
    .filter((t): t is ConsentTerms => t !== null);
}

/**
 * Pure: when the subject's last JOB_MATCHING consent to the publisher stopped being in force;
 * 'in_force' while one is; null when there never was one.
 */
export function consentEndedAt(consents: readonly ConsentTerms[], at: Date): Date | 'in_force' | null {
  if (consents.some((c) => consentInForce(c, at))) return 'in_force';
  let ended: number | null = null;
  for (const c of consents) {
    if (c.validFrom.getTime() > at.getTime()) continue; // not started yet: was never in force
    const end = Math.min(c.expiresAt.getTime(), c.revokedAt ? c.revokedAt.getTime() : Number.POSITIVE_INFINITY);
    if (end > c.validFrom.getTime()) ended = Math.max(ended ?? end, end);
  }
  return ended === null ? null : new Date(ended);
}

/**
 * Pure: may the matches of a subject be purged? Only when no consent is in force and the last
 * one ended more than `graceMs` ago (or there never was one and the oldest match is that old).
 */
export function purgeDue(consents: readonly ConsentTerms[], oldestStoredAt: Date, now: Date, graceMs: number): boolean {
  const ended = consentEndedAt(consents, now);
  if (ended === 'in_force') return false;
  const since = ended ?? oldestStoredAt;
  return now.getTime() - since.getTime() > graceMs;
}
