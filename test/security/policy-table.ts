import type { Purpose, Role } from '@passerelle/registry';

/**
 * Who may call what: the declared policy, written from the contract (docs/contract.md
 * §3–§5, DOMAIN.md) and the registry's meaning (roles, agreements), NOT read from the code. The
 * authorisation matrix (authorisation-matrix.e2e-spec.ts) runs every cell of it against the real
 * gateway and consent-audit and compares. A new GraphQL root field or audit route without a row
 * here fails that suite: an operation cannot ship undeclared.
 *
 * Cell = operation × caller role × request purpose × "does an agreement in force give the caller
 * data for this purpose?" (× "did the caller collect a consent from the claimant?" for the one
 * operation that asks). Outcome: the gate lets it through (the answer may still be an argument
 * error, NOT_FOUND or CONSENT_REQUIRED, which are per-record rules proven in their own suites), or
 * it refuses with FORBIDDEN (role or purpose not allowed) or NO_AGREEMENT (allowed, but no
 * agreement in force gives the caller anything for this purpose).
 */

export type Refusal = 'FORBIDDEN' | 'NO_AGREEMENT';
export type Outcome = { allowed: true } | { allowed: false; code: Refusal };

export interface OperationPolicy {
  /** roles of which the caller must hold one; 'any' for operations that reveal nothing about anyone */
  roles: readonly Role[] | 'any';
  /** purposes the signed request may carry */
  purposes: readonly Purpose[] | 'any';
  /** the caller must be the consumer of an agreement in force for the request's purpose */
  agreement: 'required' | 'not-needed';
  /** only an agency that collected a consent from the claimant named in the request (others: FORBIDDEN) */
  collectorOnly?: true;
  /** where the rule comes from */
  source: string;
}

/** The purposes claimant data is read for (DOMAIN.md: consumers read under an agreement and consent). */
const READ: readonly Purpose[] = ['JOB_MATCHING', 'RELOCATION', 'PROGRAM_ELIGIBILITY'];
const CONSENT_KEEPERS: readonly Role[] = ['PROVIDER', 'CONSUMER'];

/** Keyed "query:<field>", "mutation:<field>" (GraphQL root fields) and "rest:<METHOD> <path>". */
export const POLICY_TABLE: Readonly<Record<string, OperationPolicy>> = {
  // §4 "submitClaimants (provider; raw clientId in, the provider's pseudonym out)": a provider supplies its own records.
  'mutation:submitClaimants': { roles: ['PROVIDER'], purposes: ['PROVISION'], agreement: 'not-needed', source: 'CONTRACT §4 submitClaimants (provider)' },
  // §4 claimant reads: consumers, under an agreement for the purpose (fields withheld otherwise).
  'query:claimant': { roles: ['CONSUMER'], purposes: READ, agreement: 'required', source: 'CONTRACT §4 claimant(pseudonym); registry agreements' },
  'query:claimants': { roles: ['CONSUMER'], purposes: READ, agreement: 'required', source: 'CONTRACT §4 claimants(filter, first, after); registry agreements' },
  // §4 consents: kept by the agencies that collect them or receive data under them (PROVIDER or CONSUMER).
  'mutation:recordConsent': { roles: CONSENT_KEEPERS, purposes: ['CONSENT_MANAGEMENT'], agreement: 'not-needed', source: 'CONTRACT §4 recordConsent' },
  'mutation:revokeConsent': { roles: CONSENT_KEEPERS, purposes: ['CONSENT_MANAGEMENT'], agreement: 'not-needed', source: 'CONTRACT §4 revokeConsent' },
  'query:consents': { roles: CONSENT_KEEPERS, purposes: ['CONSENT_MANAGEMENT'], agreement: 'not-needed', source: 'CONTRACT §4 consents(pseudonym)' },
  'query:disclosures': { roles: CONSENT_KEEPERS, purposes: ['CONSENT_MANAGEMENT'], agreement: 'not-needed', collectorOnly: true, source: 'issue 14 hole 2: open to the claimant\'s consent collectors only' },
  // §6: matches published by a PUBLISHER reach consumers under a JOB_MATCHING agreement.
  'query:jobMatches': { roles: ['CONSUMER'], purposes: ['JOB_MATCHING'], agreement: 'required', source: 'CONTRACT §4 jobMatches, §6' },
  // §4 referRelocation: the receiving agency's agreement and consent are checked per referral, after the match is found.
  'mutation:referRelocation': { roles: ['CONSUMER'], purposes: ['RELOCATION'], agreement: 'not-needed', source: 'CONTRACT §4 referRelocation' },
  'query:referrals': { roles: ['CONSUMER'], purposes: ['RELOCATION'], agreement: 'not-needed', source: 'referrals received (fields filtered per referral)' },
  // Issue 16: a receiving province (RECEIVER) publishes, amends and withdraws its own offers; agencies that may refer read them (filtered to receivers they hold a RELOCATION agreement with).
  'mutation:publishRelocationOffer': { roles: ['RECEIVER'], purposes: ['RELOCATION'], agreement: 'not-needed', source: 'issue 16 offers (RECEIVER role)' },
  'mutation:amendRelocationOffer': { roles: ['RECEIVER'], purposes: ['RELOCATION'], agreement: 'not-needed', source: 'issue 16 offers (RECEIVER role, own offers only)' },
  'mutation:withdrawRelocationOffer': { roles: ['RECEIVER'], purposes: ['RELOCATION'], agreement: 'not-needed', source: 'issue 16 offers (RECEIVER role, own offers only)' },
  'query:relocationOffers': { roles: ['PROVIDER', 'CONSUMER', 'RECEIVER'], purposes: ['RELOCATION'], agreement: 'not-needed', source: 'issue 16: offers are public to the agencies that may refer (list filtered by agreement)' },
  'query:relocationCandidates': { roles: ['RECEIVER'], purposes: ['RELOCATION'], agreement: 'not-needed', source: 'issue 16: the offering province, about its own offer (protected count; identities only under willingness)' },
  'mutation:moveReferral': { roles: ['CONSUMER', 'RECEIVER', 'PUBLISHER'], purposes: ['RELOCATION'], agreement: 'not-needed', source: 'issue 16 lifecycle: each move by its one party (guard per referral)' },
  'query:referralsMade': { roles: ['CONSUMER'], purposes: ['RELOCATION'], agreement: 'not-needed', source: 'issue 16: the referring agency follows its own referrals (no identity)' },
  'query:relocationOutcomes': { roles: ['CONSUMER', 'PROVIDER', 'RECEIVER', 'PUBLISHER'], purposes: ['RELOCATION'], agreement: 'required', source: 'issue 16: protected aggregates for the parties to a RELOCATION agreement in force (consumer here; a provider too), rows scoped by jurisdiction' },
  // §4 eligibility(program, pseudonym): a consumer evaluates a program on what it may see.
  'query:eligibility': { roles: ['CONSUMER'], purposes: ['PROGRAM_ELIGIBILITY'], agreement: 'required', source: 'CONTRACT §4 eligibility' },
  'mutation:applyToProgram': { roles: ['CONSUMER'], purposes: ['PROGRAM_ELIGIBILITY'], agreement: 'required', source: 'programs: applying reads the same fields as eligibility' },
  // issue 17: the agency that applied withdraws; reads no claimant field, frees a place for the waitlist.
  'mutation:withdrawApplication': { roles: ['CONSUMER'], purposes: ['PROGRAM_ELIGIBILITY'], agreement: 'not-needed', source: 'programs (issue 17): withdrawApplication' },
  // §4 programUptake(program): suppressed aggregate counts of a program named in the registry.
  'query:programUptake': { roles: ['CONSUMER', 'PROVIDER'], purposes: ['PROGRAM_ELIGIBILITY', 'STATISTICS'], agreement: 'not-needed', source: 'CONTRACT §4 programUptake' },
  // §4 statistics: suppressed counts, only from providers whose STATISTICS agreement names the caller.
  'query:statistics': { roles: ['CONSUMER', 'PROVIDER'], purposes: ['STATISTICS'], agreement: 'required', source: 'CONTRACT §4 statistics; issue 14 hole 8' },
  // §4 eligibleNotApplied / simulateRule (issue 17): protected counts under the caller's STATISTICS agreements, audited across releases.
  'query:eligibleNotApplied': { roles: ['CONSUMER', 'PROVIDER'], purposes: ['STATISTICS'], agreement: 'required', source: 'CONTRACT §4 eligibleNotApplied; issue 17' },
  'query:simulateRule': { roles: ['CONSUMER', 'PROVIDER'], purposes: ['STATISTICS'], agreement: 'required', source: 'CONTRACT §4 simulateRule; issue 17' },
  // §4/§5 "for operators auditEntries, auditEntry(seq), signedTreeHead"; REST with purpose AUDIT_REVIEW from an OPERATOR agency.
  'query:auditEntries': { roles: ['OPERATOR'], purposes: ['AUDIT_REVIEW'], agreement: 'not-needed', source: 'CONTRACT §4 (operators)' },
  'query:auditEntry': { roles: ['OPERATOR'], purposes: ['AUDIT_REVIEW'], agreement: 'not-needed', source: 'CONTRACT §4 (operators)' },
  'query:signedTreeHead': { roles: ['OPERATOR'], purposes: ['AUDIT_REVIEW'], agreement: 'not-needed', source: 'CONTRACT §4 (operators)' },
  'rest:GET /audit/sth': { roles: ['OPERATOR'], purposes: ['AUDIT_REVIEW'], agreement: 'not-needed', source: 'CONTRACT §5' },
  'rest:GET /audit/entries': { roles: ['OPERATOR'], purposes: ['AUDIT_REVIEW'], agreement: 'not-needed', source: 'CONTRACT §5' },
  'rest:GET /audit/proof/inclusion': { roles: ['OPERATOR'], purposes: ['AUDIT_REVIEW'], agreement: 'not-needed', source: 'CONTRACT §5' },
  'rest:GET /audit/proof/consistency': { roles: ['OPERATOR'], purposes: ['AUDIT_REVIEW'], agreement: 'not-needed', source: 'CONTRACT §5' },
  // What the gateway is: no claimant data, no agency data.
  'query:gatewayInfo': { roles: 'any', purposes: 'any', agreement: 'not-needed', source: 'contract version, public' },
};

export interface Caller {
  roles: readonly Role[];
  /** purposes for which an agreement in force names the caller as consumer */
  agreementPurposes: readonly Purpose[];
  /** the caller collected a consent from the claimant the request names */
  collector: boolean;
}

/** The declared outcome of one cell. Role and purpose first (FORBIDDEN), then collector (FORBIDDEN), then the agreement (NO_AGREEMENT). */
export function expectedOutcome(policy: OperationPolicy, caller: Caller, purpose: Purpose): Outcome {
  const roleOk = policy.roles === 'any' || policy.roles.some((r) => caller.roles.includes(r));
  const purposeOk = policy.purposes === 'any' || policy.purposes.includes(purpose);
  if (!roleOk || !purposeOk) return { allowed: false, code: 'FORBIDDEN' };
  if (policy.collectorOnly && !caller.collector) return { allowed: false, code: 'FORBIDDEN' };
  if (policy.agreement === 'required' && !caller.agreementPurposes.includes(purpose)) return { allowed: false, code: 'NO_AGREEMENT' };
  return { allowed: true };
}

/** The purpose an operation is normally called with (for suites that need one valid purpose per operation). */
export function usualPurpose(key: string): Purpose {
  const p = POLICY_TABLE[key]?.purposes;
  return p && p !== 'any' ? p[0] : 'STATISTICS';
}
