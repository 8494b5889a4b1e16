import { fromAgencyPseudonym, toAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';

/**
 * Opaque page cursors for `claimants`: the last subject of a page, encrypted like a pseudonym
 * but for the context "<agency>#claimants-cursor". So a cursor reveals nothing, only works for
 * the agency it was given to, and is not a pseudonym (it cannot be used with `claimant`).
 */
const PREFIX = 'c_';
const context = (agency: string) => `${agency}#claimants-cursor`;

export function encodeCursor(keyring: PseudonymKeyring, agency: string, subject: string): string {
  return PREFIX + toAgencyPseudonym(keyring, context(agency), subject);
}

/** The subject behind a cursor, or null when it is not a cursor given to this agency. */
export function decodeCursor(keyring: PseudonymKeyring, agency: string, cursor: string): string | null {
  if (typeof cursor !== 'string' || !cursor.startsWith(PREFIX)) return null;
  return fromAgencyPseudonym(keyring, context(agency), cursor.slice(PREFIX.length));
}
