/**
 * Ledger entry `seq` as CONTRACT.md §5 defines it: the object whose RFC 8785 (JCS) text is hashed
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
}
