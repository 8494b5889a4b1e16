/** The registry's vocabulary (docs/contract.md §2, DOMAIN.md). */

export const PURPOSES = [
  'JOB_MATCHING',
  'RELOCATION',
  'PROGRAM_ELIGIBILITY',
  'STATISTICS',
  'PROVISION',
  'CONSENT_MANAGEMENT',
  'AUDIT_REVIEW',
] as const;
export type Purpose = (typeof PURPOSES)[number];

/** RECEIVER: a province or territory that publishes relocation offers and receives referred claimants. */
export const ROLES = ['PROVIDER', 'CONSUMER', 'PUBLISHER', 'OPERATOR', 'RECEIVER'] as const;
export type Role = (typeof ROLES)[number];

/** The claimant fields by their contract names: agreements may only name these. */
export const CLAIMANT_FIELDS = [
  'claimStatus',
  'claimDate',
  'province',
  'workPermitExpiry',
  'nocCode',
  'sector',
  'healthCareHours',
  'frenchLevel',
  /** English level, CLB 1–12, supplied by the agencies that test it (issue 16) */
  'englishLevel',
] as const;
export type ClaimantField = (typeof CLAIMANT_FIELDS)[number];

export const KEY_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export type KeyStatus = 'active' | 'retired' | 'revoked';

/** Purposes that need the claimant's consent when the registry does not say otherwise. */
export const DEFAULT_CONSENT_REQUIRED_FOR: readonly Purpose[] = ['JOB_MATCHING', 'RELOCATION'];

/** A public JWK of an agency, as published in the registry. */
export interface RegistryKey {
  kty: 'OKP' | 'EC';
  crv?: string;
  x?: string;
  y?: string;
  kid: string;
  alg: KeyAlgorithm;
  status: KeyStatus;
  use?: 'sig';
  [extra: string]: unknown;
}

export interface Agency {
  id: string;
  names: { en: string; fr: string };
  /** 'CA' (federal) or a province / territory code */
  jurisdiction: string;
  roles: Role[];
  keys: RegistryKey[];
  rateLimit?: { requestsPerMinute: number };
}

export interface Agreement {
  id: string;
  provider: string;
  consumer: string;
  purposes: Purpose[];
  fields: ClaimantField[];
  /** YYYY-MM-DD, inclusive */
  validFrom: string;
  /** YYYY-MM-DD, inclusive */
  validTo: string;
  legalBasis: string;
}

/** Purposes a claimant can consent to (libs/policy CONSENTABLE_PURPOSES; repeated here: the registry depends on nothing). */
export const CONSENT_COLLECTOR_PURPOSES = ['JOB_MATCHING', 'RELOCATION', 'PROGRAM_ELIGIBILITY', 'STATISTICS'] as const;

/**
 * Who may collect a claimant's consent, for which purposes and to which recipients: the agency in
 * contact with the claimant (who keeps the signed form). Nothing else may record a consent, a
 * recipient never records its own, and only a declared collector may read a claimant's disclosures.
 */
export interface ConsentCollector {
  /** the collecting agency (PROVIDER or CONSUMER role) */
  agency: string;
  purposes: Purpose[];
  /** agencies (CONSUMER role) that may receive data under the consents it collects; never itself */
  recipients: string[];
}

/** Programs are modelled by their own feature; the registry only requires an id. */
export interface Program {
  id: string;
  [k: string]: unknown;
}

export interface RegistryDocument {
  gatewayId: string;
  agencies: Agency[];
  agreements: Agreement[];
  programs: Program[];
  /** which purposes need consent; default DEFAULT_CONSENT_REQUIRED_FOR */
  consentRequiredFor?: Purpose[];
  /** who may record consents (absent: nobody may) */
  consentCollectors?: ConsentCollector[];
  /** witnesses asked to cosign each ledger checkpoint (absent: none) */
  witnesses?: Witness[];
}

/** An independent witness of the ledger (C2SP tlog-witness), e.g. a privacy commissioner. */
export interface Witness {
  /** how verifier policies name it, e.g. "qc.cai" */
  name: string;
  /** its cosigner verifier key (signed-note vkey, type 0x04 cosignature/v1) */
  vkey: string;
  /** base URL of its add-checkpoint endpoint: POST <url>/add-checkpoint */
  url: string;
}

export interface RegistryProblem {
  /** JSON pointer into the document ('' for the whole document) */
  pointer: string;
  /** 1-based line in the file, when known */
  line?: number;
  message: string;
}

export function isPurpose(value: unknown): value is Purpose {
  return typeof value === 'string' && (PURPOSES as readonly string[]).includes(value);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
