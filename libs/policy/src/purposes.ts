/**
 * Purposes a claimant can consent to: those for which claimant data flows to an agency.
 * (PROVISION, CONSENT_MANAGEMENT and AUDIT_REVIEW are the gateway's own operations.)
 */
export const CONSENTABLE_PURPOSES = ['JOB_MATCHING', 'RELOCATION', 'PROGRAM_ELIGIBILITY', 'STATISTICS'] as const;
export type ConsentablePurpose = (typeof CONSENTABLE_PURPOSES)[number];

export function isConsentablePurpose(value: unknown): value is ConsentablePurpose {
  return typeof value === 'string' && (CONSENTABLE_PURPOSES as readonly string[]).includes(value);
}
