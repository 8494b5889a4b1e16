import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import path from 'node:path';
// Not imported from @passerelle/contracts at runtime: it pulls @nestjs/microservices (ESM), which jest cannot load.
import { REPO_ROOT } from './processes';
import { testChannelCredentials } from './test-pki';

export const CONSENT_AUDIT_PROTO = 'passerelle/consentaudit/v1/consent_audit.proto';
/** Same options as @passerelle/contracts' protoLoaderOptions (both sides of the channel agree). */
export const PROTO_LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

export type ConsentAuditServiceName = 'Ledger' | 'Consents' | 'Decisions';
/** The consent-audit services of the committed proto: client constructors, each with its `service` definition (for servers). */
export type ConsentAuditServices = Record<ConsentAuditServiceName, grpc.ServiceClientConstructor>;

/** Loads consent-audit's proto (passerelle.consentaudit.v1) with the loader options both sides use. */
export function loadConsentAuditServices(): ConsentAuditServices {
  const definition = protoLoader.loadSync(CONSENT_AUDIT_PROTO, { ...PROTO_LOADER_OPTIONS, includeDirs: [path.join(REPO_ROOT, 'proto')] });
  return (grpc.loadPackageDefinition(definition) as unknown as { passerelle: { consentaudit: { v1: ConsentAuditServices } } }).passerelle.consentaudit.v1;
}

/**
 * A grpc-js client of one consent-audit service at `url` (host:port), over mutual TLS as
 * `identity` of the test PKI (default the gateway, which may call every RPC tests need), or with
 * no client certificate ('no-certificate'), or given credentials (e.g. of another CA).
 */
export function consentAuditClient(
  service: ConsentAuditServiceName,
  url: string,
  options: Partial<grpc.ChannelOptions> = {},
  identity: string | 'no-certificate' | ReturnType<typeof testChannelCredentials> = 'gateway',
): grpc.Client {
  const tls = typeof identity === 'string' ? testChannelCredentials(identity) : identity;
  return new (loadConsentAuditServices()[service])(url, tls.credentials, { ...tls.options, ...options });
}

export type Unary<Req, Res> = (req: Req) => Promise<Res>;

/** A unary method of a grpc-js client as a promise, each call with a deadline of `deadlineMs`. */
export function unary<Req, Res>(client: grpc.Client, method: string, deadlineMs = 10_000): Unary<Req, Res> {
  const methods = client as unknown as Record<string, (req: Req, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Res) => void) => void>;
  return (req) => new Promise<Res>((resolve, reject) => methods[method](req, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res))));
}

export interface GrpcFailure extends Error {
  code: grpc.status;
  details: string;
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
