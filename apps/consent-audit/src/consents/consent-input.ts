import { isInternalId } from '@passerelle/crypto';
import { checkDestinations, CONSENTABLE_PURPOSES, isConsentablePurpose } from '@passerelle/policy';
import type { Registry } from '@passerelle/registry';
import type { consentAudit } from '@passerelle/contracts';
import { InvalidConsentInput } from './consent-errors';

/** ISO-8601 with a time zone, e.g. 2026-06-01T00:00:00Z or 2026-06-01T02:00:00.5+02:00. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** base64url (no padding) of 32 bytes. */
const SHA256_B64URL = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ConsentGrant {
  subject: string;
  purpose: string;
  recipient: string;
  collectedBy: string;
  validFrom: Date;
  expiresAt: Date;
  evidenceSha256: string;
  /** RELOCATION: the provinces the claimant accepts to settle in (sorted); empty otherwise */
  destinations: string[];
}

/** Parses an ISO-8601 instant with a time zone; null when it is not one. Drops sub-seconds (decisions are to the second). */
export function parseInstant(value: string): Date | null {
  if (!ISO_INSTANT.test(value)) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  return new Date(Math.floor(ms / 1000) * 1000);
}

export function isEvidenceSha256(value: string): boolean {
  return SHA256_B64URL.test(value);
}

export function isConsentId(value: string): boolean {
  return UUID.test(value);
}

/**
 * Checks a Record request against the registry in force; names every problem at once.
 * `now` guards against recording a consent that has already expired.
 */
export function parseConsentGrant(req: consentAudit.RecordConsentRequest, registry: Registry, now: Date): ConsentGrant {
  const problems: string[] = [];
  const subject = req.subject ?? '';
  if (!isInternalId(subject)) problems.push('subject must be a gateway-internal id (i_ followed by 22 base64url characters)');
  const purpose = req.purpose ?? '';
  if (!isConsentablePurpose(purpose)) problems.push(`purpose must be one of ${CONSENTABLE_PURPOSES.join(', ')}`);
  const recipient = req.recipient ?? '';
  if (!recipient) problems.push('recipient is required (an agency id of the registry)');
  else if (!registry.agency(recipient)) problems.push(`recipient ${JSON.stringify(recipient)} is not an agency of the registry`);
  const collectedBy = req.collectedBy ?? '';
  if (!collectedBy) problems.push('collected_by is required (the collecting agency id)');
  else if (!registry.agency(collectedBy)) problems.push(`collected_by ${JSON.stringify(collectedBy)} is not an agency of the registry`);
  const validFrom = parseInstant(req.validFrom ?? '');
  if (!validFrom) problems.push('valid_from must be an ISO-8601 timestamp with a time zone, e.g. 2026-06-01T00:00:00Z');
  const expiresAt = parseInstant(req.expiresAt ?? '');
  if (!expiresAt) problems.push('expires_at must be an ISO-8601 timestamp with a time zone, e.g. 2027-06-01T00:00:00Z');
  if (validFrom && expiresAt) {
    if (expiresAt.getTime() <= validFrom.getTime()) problems.push('expires_at must be after valid_from (to the second)');
    else if (expiresAt.getTime() <= now.getTime()) problems.push('expires_at is already past: the consent would never be in force');
  }
  const evidence = req.evidenceSha256 ?? '';
  if (!isEvidenceSha256(evidence)) problems.push('evidence_sha256 must be the base64url SHA-256 of the signed form (43 characters, no padding)');
  const destinations = checkDestinations(purpose, req.destinations ?? [], registry.agency(recipient)?.jurisdiction);
  if (!destinations.ok) problems.push(destinations.reason);
  if (problems.length > 0) throw new InvalidConsentInput(problems);
  return { subject, purpose, recipient, collectedBy, validFrom: validFrom!, expiresAt: expiresAt!, evidenceSha256: evidence, destinations: destinations.ok ? destinations.value : [] };
}
