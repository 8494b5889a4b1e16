import { isInternalId } from '@passerelle/crypto';
import type { consentAudit } from '@passerelle/contracts';
import { CONSENTABLE_PURPOSES, consentInForce, isConsentablePurpose, type ConsentTerms } from '@passerelle/policy';
import { InvalidConsentInput } from './consent-errors';
import { parseInstant } from './consent-input';

/** Most subjects in one Consents.InForce call. */
export const IN_FORCE_MAX_SUBJECTS = 10_000;

export interface InForceQuestion {
  /** distinct, in request order */
  subjects: string[];
  purpose: string;
  at: Date;
}

/** Pure: checks an InForce request (names every problem at once, never echoes a subject). */
export function parseInForceRequest(req: consentAudit.InForceRequest, now: Date): InForceQuestion {
  const problems: string[] = [];
  const subjects = req.subjects ?? [];
  if (subjects.length > IN_FORCE_MAX_SUBJECTS) problems.push(`subjects must hold at most ${IN_FORCE_MAX_SUBJECTS} ids`);
  const bad = subjects.findIndex((s) => !isInternalId(s));
  if (bad >= 0) problems.push(`subjects[${bad}] must be a gateway-internal id (i_ followed by 22 base64url characters)`);
  const purpose = req.purpose ?? '';
  if (!isConsentablePurpose(purpose)) problems.push(`purpose must be one of ${CONSENTABLE_PURPOSES.join(', ')}`);
  let at: Date | null = now;
  if (req.at) {
    at = parseInstant(req.at);
    if (!at) problems.push('at must be an ISO-8601 timestamp with a time zone, or empty for now');
  }
  if (problems.length > 0) throw new InvalidConsentInput(problems);
  return { subjects: [...new Set(subjects)], purpose, at: at! };
}

/**
 * Pure: per requested subject (in request order, repeats included), the recipients with a consent
 * in force at `at` — libs/policy's consentInForce over the rows the one query returned — and the
 * ids of those consents (what a ledger entry relying on them names).
 */
export function recipientsInForce(requested: readonly string[], rows: readonly ConsentTerms[], at: Date): consentAudit.SubjectRecipients[] {
  const bySubject = new Map<string, Map<string, Set<string>>>();
  for (const row of rows) {
    if (!consentInForce(row, at)) continue;
    let recipients = bySubject.get(row.subject);
    if (!recipients) bySubject.set(row.subject, (recipients = new Map()));
    let ids = recipients.get(row.recipient);
    if (!ids) recipients.set(row.recipient, (ids = new Set()));
    if (row.id) ids.add(row.id);
  }
  return requested.map((subject) => {
    const recipients = [...(bySubject.get(subject) ?? new Map<string, Set<string>>()).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      subject,
      recipients: recipients.map(([r]) => r),
      consents: recipients.flatMap(([recipient, ids]) => [...ids].sort().map((consentId) => ({ recipient, consentId }))),
    };
  });
}
