// Types only: @passerelle/contracts pulls in @nestjs/microservices (ESM), which jest cannot load.
import { NO_LEGAL_BASIS, type consentAudit } from '@passerelle/contracts';
import { consentAuditClient, unary, type Unary } from '@passerelle/testing';

export { failureOf, type GrpcFailure } from '@passerelle/testing';

export interface LedgerConnection {
  append: Unary<consentAudit.AppendRequest, consentAudit.AppendResponse>;
  appendBatch: Unary<consentAudit.AppendBatchRequest, consentAudit.AppendBatchResponse>;
  sth: Unary<Partial<consentAudit.GetSignedTreeHeadRequest>, consentAudit.SignedTreeHead>;
  entries: Unary<Partial<consentAudit.GetEntriesRequest>, consentAudit.GetEntriesResponse>;
  inclusion: Unary<Partial<consentAudit.InclusionProofRequest>, consentAudit.InclusionProofResponse>;
  consistency: Unary<Partial<consentAudit.ConsistencyProofRequest>, consentAudit.ConsistencyProofResponse>;
  search: Unary<Partial<consentAudit.SearchEntriesRequest>, consentAudit.SearchEntriesResponse>;
  disclosures: Unary<Partial<consentAudit.DisclosuresRequest>, consentAudit.DisclosuresResponse>;
  close(): void;
}

/** A plain grpc-js client of consent-audit's Ledger service. */
export function connectLedger(url: string): LedgerConnection {
  const client = consentAuditClient('Ledger', url, { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  const call = <Req, Res>(method: string) => unary<Req, Res>(client, method, 30_000);
  return {
    append: call('Append'),
    appendBatch: call('AppendBatch'),
    sth: call('GetSignedTreeHead'),
    entries: call('GetEntries'),
    inclusion: call('GetInclusionProof'),
    consistency: call('GetConsistencyProof'),
    search: call('SearchEntries'),
    disclosures: call('Disclosures'),
    close: () => client.close(),
  };
}

/** An entry as the exchange recorder would send it. */
export function auditEntry(over: Partial<consentAudit.AuditEntryInput> = {}): consentAudit.AppendRequest {
  return {
    entry: {
      agency: 'qc.mifi',
      kid: 'mifi-test',
      jti: `jti${Math.random().toString(36).slice(2)}aaaaaaaaaaaa`,
      purpose: 'JOB_MATCHING',
      operation: 'graphql:claimant',
      decision: 'PERMIT',
      reason: 'ok',
      subjects: [],
      fields: [],
      requestSha256: '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
      responseSha256: '',
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      ...NO_LEGAL_BASIS,
      ...over,
    },
  };
}

/** Every entry 0..size-1, in pages of 1000. */
export async function allEntries(ledger: LedgerConnection, size: number): Promise<consentAudit.LedgerEntry[]> {
  const out: consentAudit.LedgerEntry[] = [];
  for (let start = 0; start < size; start += 1000) {
    const page = await ledger.entries({ start, end: Math.min(size, start + 1000) - 1 });
    out.push(...page.entries);
  }
  return out;
}
