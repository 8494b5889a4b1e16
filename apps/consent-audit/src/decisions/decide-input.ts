import { isInternalId } from '@passerelle/crypto';
import type { consentAudit } from '@passerelle/contracts';
import type { DisclosureCandidate } from '@passerelle/policy';
import { isPurpose, PURPOSES, type Purpose } from '@passerelle/registry';
import { InvalidConsentInput } from '../consents/consent-errors';
import { parseInstant } from '../consents/consent-input';

/** More candidates than this in one call is a client bug (page sizes are far smaller). */
export const MAX_CANDIDATES = 50_000;

export interface DecideQuestion {
  consumer: string;
  purpose: Purpose;
  candidates: DisclosureCandidate[];
  at: Date;
}

/** Checks a Decide request; names every problem (up to a few candidates). `now` when `at` is "". */
export function parseDecideRequest(req: consentAudit.DecideRequest, now: Date): DecideQuestion {
  const problems: string[] = [];
  const consumer = req.consumer ?? '';
  if (!consumer) problems.push('consumer is required (an agency id)');
  const purpose = req.purpose ?? '';
  if (!isPurpose(purpose)) problems.push(`purpose must be one of ${PURPOSES.join(', ')}`);
  let at = now;
  if (req.at) {
    const parsed = parseInstant(req.at);
    if (parsed) at = new Date(Date.parse(req.at));
    else problems.push('at must be an ISO-8601 timestamp with a time zone, or "" for now');
  }
  const candidates = req.candidates ?? [];
  if (candidates.length > MAX_CANDIDATES) problems.push(`at most ${MAX_CANDIDATES} candidates per call (got ${candidates.length})`);
  let bad = 0;
  candidates.forEach((c, i) => {
    const mine: string[] = [];
    if (!isInternalId(c.subject ?? '')) mine.push(`candidates[${i}].subject must be a gateway-internal id`);
    if (!c.field) mine.push(`candidates[${i}].field is required`);
    if (!c.provider) mine.push(`candidates[${i}].provider is required`);
    if (mine.length > 0 && bad++ < 5) problems.push(...mine);
  });
  if (bad > 5) problems.push(`and ${bad - 5} more bad candidates`);
  if (problems.length > 0) throw new InvalidConsentInput(problems);
  return {
    consumer,
    purpose: purpose as Purpose,
    candidates: candidates.map((c) => ({ subject: c.subject, field: c.field, provider: c.provider })),
    at,
  };
}
