import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import path from 'node:path';
import type { consentAudit } from '@passerelle/contracts';
import { REPO_ROOT } from '@passerelle/testing';

// Not imported from @passerelle/contracts at runtime: it pulls @nestjs/microservices (ESM), which jest cannot load.
const PROTO = 'passerelle/consentaudit/v1/consent_audit.proto';
const LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

export interface GrpcFailure extends Error {
  code: grpc.status;
  details: string;
}

type Unary<Req, Res> = (req: Req) => Promise<Res>;

export interface ConsentAuditConnection {
  record: Unary<Partial<consentAudit.RecordConsentRequest>, consentAudit.ConsentRecord>;
  revoke: Unary<Partial<consentAudit.RevokeConsentRequest>, consentAudit.ConsentRecord>;
  list: Unary<Partial<consentAudit.ListConsentsRequest>, consentAudit.ListConsentsResponse>;
  decide: Unary<Partial<consentAudit.DecideRequest>, consentAudit.DecideResponse>;
  close(): void;
}

/** A plain grpc-js connection to consent-audit (its own channel: a second one is a second "gateway instance"). */
export function connectConsentAudit(url: string): ConsentAuditConnection {
  const definition = protoLoader.loadSync(PROTO, { ...LOADER_OPTIONS, includeDirs: [path.join(REPO_ROOT, 'proto')] });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ns = (grpc.loadPackageDefinition(definition) as any).passerelle.consentaudit.v1;
  // A channel option that differs per connection keeps grpc-js from sharing one subchannel.
  const options = { 'grpc.primary_user_agent': `consents-e2e-${Math.random().toString(36).slice(2)}` };
  const consents = new ns.Consents(url, grpc.credentials.createInsecure(), options);
  const decisions = new ns.Decisions(url, grpc.credentials.createInsecure(), options);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const unary = (client: any, method: string) => (req: unknown) =>
    new Promise<never>((resolve, reject) => client[method](req, { deadline: Date.now() + 10_000 }, (err: Error | null, res: never) => (err ? reject(err) : resolve(res))));
  return {
    record: unary(consents, 'Record'),
    revoke: unary(consents, 'Revoke'),
    list: unary(consents, 'List'),
    decide: unary(decisions, 'Decide'),
    close: () => {
      consents.close();
      decisions.close();
    },
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
