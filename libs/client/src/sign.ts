import { createHash, randomBytes } from 'node:crypto';
import { CompactSign, compactVerify, createLocalJWKSet, decodeProtectedHeader, importJWK, type JSONWebKeySet, type JWK, type KeyLike } from 'jose';

export type AgencyAlg = 'EdDSA' | 'ES256';
export type RequestPurpose = 'JOB_MATCHING' | 'RELOCATION' | 'PROGRAM_ELIGIBILITY' | 'STATISTICS' | 'PROVISION' | 'CONSENT_MANAGEMENT' | 'AUDIT_REVIEW';

export const AGENCY_SIGNATURE_HEADER = 'X-Agency-Signature';
export const GATEWAY_SIGNATURE_HEADER = 'X-Gateway-Signature';

function sha256b64u(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('base64url');
}

export interface SignRequestOptions {
  agency: string;
  kid: string;
  privateKey: KeyLike | Uint8Array | JWK;
  alg: AgencyAlg;
  gatewayId: string;
  method: string;
  /** path with query, exactly as it will be sent, e.g. '/graphql' or '/audit/entries?start=0&end=9' */
  path: string;
  body?: string | Buffer;
  purpose: RequestPurpose;
  ttlSeconds?: number;
  jti?: string;
  /** seconds since the epoch; defaults to now */
  now?: number;
}

export interface SignedRequest {
  headers: Record<string, string>;
  body: Buffer;
  jti: string;
}

async function asKey(key: KeyLike | Uint8Array | JWK, alg: AgencyAlg): Promise<KeyLike | Uint8Array> {
  if (key instanceof Uint8Array) return key;
  if (typeof key === 'object' && key !== null && 'kty' in key && typeof (key as JWK).kty === 'string') return importJWK(key as JWK, alg);
  return key as KeyLike;
}

/** Signs one request to the gateway (docs/contract.md §3): returns the headers to send with these exact body bytes. */
export async function signRequest(opts: SignRequestOptions): Promise<SignedRequest> {
  const ttl = opts.ttlSeconds ?? 60;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 300) throw new Error(`ttlSeconds must be a whole number from 1 to 300 (got ${ttl})`);
  const body = opts.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8');
  const iat = opts.now ?? Math.floor(Date.now() / 1000);
  const jti = opts.jti ?? randomBytes(18).toString('base64url');
  const claims = {
    iss: opts.agency,
    aud: opts.gatewayId,
    iat,
    exp: iat + ttl,
    jti,
    htm: opts.method.toUpperCase(),
    htu: opts.path,
    purpose: opts.purpose,
    body_sha256: sha256b64u(body),
  };
  const jws = await new CompactSign(Buffer.from(JSON.stringify(claims), 'utf8'))
    .setProtectedHeader({ alg: opts.alg, kid: opts.kid, typ: 'agency-request+jwt' })
    .sign(await asKey(opts.privateKey, opts.alg));
  const headers: Record<string, string> = { [AGENCY_SIGNATURE_HEADER]: jws };
  if (body.length > 0) headers['Content-Type'] = 'application/json';
  return { headers, body, jti };
}

export interface GatewayResponseClaims {
  iss: string;
  aud: string;
  iat: number;
  req_jti: string;
  body_sha256: string;
  audit_seq: number;
}

export class ResponseVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResponseVerificationError';
  }
}

export interface VerifyResponseOptions {
  /** the gateway's JWKS (from /.well-known/jwks.json) or one public key */
  jwks?: JSONWebKeySet;
  key?: KeyLike | Uint8Array | JWK;
  /** the calling agency: the response must be addressed to it */
  agency: string;
  expectedReqJti: string;
  body: string | Buffer;
  signatureHeader: string | null | undefined;
  gatewayId: string;
  /** seconds of tolerance on iat (default 300) */
  maxAgeSeconds?: number;
}

/** Checks X-Gateway-Signature of a response; returns its claims or throws ResponseVerificationError naming the reason. */
export async function verifyResponse(opts: VerifyResponseOptions): Promise<GatewayResponseClaims> {
  const sig = opts.signatureHeader;
  if (!sig) throw new ResponseVerificationError('the response carries no X-Gateway-Signature');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(sig);
  } catch {
    throw new ResponseVerificationError('X-Gateway-Signature is not a compact JWS');
  }
  if (header.typ !== 'gateway-response+jwt') throw new ResponseVerificationError(`X-Gateway-Signature has typ ${String(header.typ)}, expected gateway-response+jwt`);
  let payload: Uint8Array;
  try {
    if (opts.jwks) {
      ({ payload } = await compactVerify(sig, createLocalJWKSet(opts.jwks), { algorithms: ['EdDSA'] }));
    } else if (opts.key) {
      ({ payload } = await compactVerify(sig, await asKey(opts.key, 'EdDSA'), { algorithms: ['EdDSA'] }));
    } else {
      throw new ResponseVerificationError('verifyResponse needs the gateway jwks or key');
    }
  } catch (e) {
    if (e instanceof ResponseVerificationError) throw e;
    throw new ResponseVerificationError(`X-Gateway-Signature does not verify with the gateway keys (${(e as Error).message})`);
  }
  let claims: GatewayResponseClaims;
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8')) as GatewayResponseClaims;
  } catch {
    throw new ResponseVerificationError('X-Gateway-Signature payload is not JSON');
  }
  if (claims.iss !== opts.gatewayId) throw new ResponseVerificationError(`response iss ${JSON.stringify(claims.iss)} is not the gateway ${JSON.stringify(opts.gatewayId)}`);
  if (claims.aud !== opts.agency) throw new ResponseVerificationError(`response aud ${JSON.stringify(claims.aud)} is not this agency`);
  if (claims.req_jti !== opts.expectedReqJti) throw new ResponseVerificationError('response req_jti does not match the request jti');
  if (claims.body_sha256 !== sha256b64u(opts.body)) throw new ResponseVerificationError('response body_sha256 does not match the body received');
  if (!Number.isSafeInteger(claims.audit_seq) || claims.audit_seq < 0) throw new ResponseVerificationError('response audit_seq is missing or not a ledger index');
  const age = Math.abs(Math.floor(Date.now() / 1000) - claims.iat);
  if (!Number.isFinite(age) || age > (opts.maxAgeSeconds ?? 300)) throw new ResponseVerificationError('response iat is too far from now');
  return claims;
}
