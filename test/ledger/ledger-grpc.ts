import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import path from 'node:path';
// Types only: @passerelle/contracts pulls in @nestjs/microservices (ESM), which jest cannot load.
import type { consentAudit } from '@passerelle/contracts';
import { REPO_ROOT } from '@passerelle/testing';

const LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

export interface GrpcFailure extends Error {
  code: grpc.status;
  details: string;
}

type Unary<Req, Res> = (req: Req) => Promise<Res>;

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
  const definition = protoLoader.loadSync('passerelle/consentaudit/v1/consent_audit.proto', { ...LOADER_OPTIONS, includeDirs: [path.join(REPO_ROOT, 'proto')] });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ns = (grpc.loadPackageDefinition(definition) as any).passerelle.consentaudit.v1;
  const client = new ns.Ledger(url, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  const unary = (method: string) => (req: unknown) =>
    new Promise<never>((resolve, reject) => client[method](req, { deadline: Date.now() + 30_000 }, (err: Error | null, res: never) => (err ? reject(err) : resolve(res))));
  return {
    append: unary('Append'),
    appendBatch: unary('AppendBatch'),
    sth: unary('GetSignedTreeHead'),
    entries: unary('GetEntries'),
    inclusion: unary('GetInclusionProof'),
    consistency: unary('GetConsistencyProof'),
    search: unary('SearchEntries'),
    disclosures: unary('Disclosures'),
    close: () => client.close(),
  };
}

/** The gRPC failure of a call that must fail (the test fails when it succeeds). */
export async function failureOf(call: Promise<unknown>): Promise<GrpcFailure> {
  try {
    await call;
  } catch (e) {
    return e as GrpcFailure;
  }
  throw new Error('the call succeeded but should have failed');
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
