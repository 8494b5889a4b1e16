import type * as consentAudit from './generated/passerelle/consentaudit/v1/consent_audit';

/**
 * Ledger entry `seq` as docs/contract.md §5 defines it: the object whose RFC 8785 (JCS) text is hashed
 * into leaf `seq`. consent-audit writes it; the gateway and verifiers read it back.
 */
export interface LedgerEntryJson {
  seq: number;
  time: string;
  agency: string;
  kid: string;
  jti: string;
  purpose: string;
  operation: string;
  decision: 'PERMIT' | 'DENY';
  reason: string;
  /** gateway-internal pseudonyms, sorted */
  subjects: string[];
  /** field names, sorted */
  fields: string[];
  request_sha256: string;
  response_sha256: string;
  request_id: string;
  // The legal basis (§5). Optional members, present only when set, so an entry written before
  // they existed keeps its exact canonical text and leaf hash.
  /** agreement ids a PERMIT relied on, sorted */
  agreements?: string[];
  /** the legal basis references of those agreements, sorted */
  legal_basis?: string[];
  /** consent ids a PERMIT relied on, sorted */
  consents?: string[];
  /** "<program id>@<sha256 hex of its definition>" when a program decided */
  program_version?: string;
  /** lowercase hex SHA-256 of the registry file in force */
  registry_version?: string;
  /** DENY: the rule that refused */
  rule?: string;
}

/**
 * The legal-basis members of an AuditEntryInput left unset (the proto3 defaults): for entries that
 * rely on no agreement, e.g. refusals before any decision. The ledger then stamps the registry
 * version in force and, for a DENY, records its reason as the rule.
 */
export const NO_LEGAL_BASIS = {
  agreements: [] as string[],
  legalBasis: [] as string[],
  consents: [] as string[],
  programVersion: '',
  registryVersion: '',
  rule: '',
} as const;

/**
 * The entry an app appends when it loads or reloads the registry (§5.2): no caller, no subject,
 * the version it put in force; `request_id` names the app, so an auditor sees which process held
 * which rules from when.
 */
export function registryEntryInput(operation: 'registry:load' | 'registry:reload', registryVersion: string, app: string): consentAudit.AuditEntryInput {
  return {
    agency: '',
    kid: '',
    jti: '',
    purpose: '',
    operation,
    decision: 'PERMIT',
    reason: 'ok',
    subjects: [],
    fields: [],
    requestSha256: '',
    responseSha256: '',
    requestId: app,
    ...NO_LEGAL_BASIS,
    registryVersion,
  };
}
