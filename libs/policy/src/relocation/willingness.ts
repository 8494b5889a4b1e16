import { PROVINCE_CODES } from '../programs/program.types';
import { isReceivingJurisdiction } from './offer-terms';

/**
 * A claimant's willingness to relocate is a RELOCATION consent to a receiving province's agency,
 * with the provinces the claimant accepts as its `destinations`. Pure check at record time: the
 * destinations are coherent with the recipient (they name its province), and only RELOCATION
 * consents carry any.
 */
export type DestinationsCheck = { ok: true; value: string[] } | { ok: false; reason: string };

export function checkDestinations(purpose: string, destinations: readonly string[] | null | undefined, recipientJurisdiction: string | undefined): DestinationsCheck {
  const given = destinations ?? [];
  if (purpose !== 'RELOCATION') {
    return given.length === 0 ? { ok: true, value: [] } : { ok: false, reason: 'destinations are for RELOCATION consents only (where the claimant accepts to settle)' };
  }
  if (given.length === 0) return { ok: true, value: isReceivingJurisdiction(recipientJurisdiction) ? [recipientJurisdiction as string] : [] };
  if (!given.every((d) => typeof d === 'string' && (PROVINCE_CODES as readonly string[]).includes(d) && isReceivingJurisdiction(d))) {
    return { ok: false, reason: `destinations must be province or territory codes other than QC (${PROVINCE_CODES.filter((p) => p !== 'QC').join(' ')})` };
  }
  if (new Set(given).size !== given.length) return { ok: false, reason: 'destinations must not repeat' };
  if (!isReceivingJurisdiction(recipientJurisdiction) || !given.includes(recipientJurisdiction as string)) {
    return { ok: false, reason: "destinations must name the recipient's own province or territory: a willingness to relocate goes to the province it names" };
  }
  return { ok: true, value: [...given].sort() };
}

/** Does this claimant's willingness (destinations of a RELOCATION consent in force) name `province`? */
export function willingnessNames(destinations: readonly string[], province: string): boolean {
  return destinations.includes(province);
}

/** A consent as consent-audit lists it (ISO strings; revokedAt '' while in force). */
export interface ListedConsent {
  purpose: string;
  recipient: string;
  collectedBy: string;
  validFrom: string;
  expiresAt: string;
  revokedAt: string;
  destinations: readonly string[];
}

/**
 * The claimant's willingness to relocate to `receiver` (in `province`) in force at `at`: a
 * RELOCATION consent to it, in force, collected by a declared collector, whose destinations name
 * the province. Null when there is none: no willingness, no referral, no identity.
 */
export function willingnessInForce(
  consents: readonly ListedConsent[],
  receiver: string,
  province: string | undefined,
  at: Date,
  mayCollect: (collector: string, recipient: string) => boolean,
): ListedConsent | null {
  const t = Math.floor(at.getTime() / 1000);
  const sec = (iso: string) => Math.floor(Date.parse(iso) / 1000);
  return (
    consents.find(
      (c) =>
        c.purpose === 'RELOCATION' &&
        c.recipient === receiver &&
        mayCollect(c.collectedBy, receiver) &&
        (c.revokedAt === '' || sec(c.revokedAt) > t) &&
        sec(c.validFrom) <= t &&
        t < sec(c.expiresAt) &&
        province !== undefined &&
        willingnessNames(c.destinations, province),
    ) ?? null
  );
}
