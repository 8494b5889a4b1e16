import { PURPOSES, type Purpose } from '@passerelle/registry';

/**
 * Pure checks of an agency request signature (docs/contract.md §3). The cryptographic step
 * (jose compactVerify) sits between `decodeAgencySignature` and `checkAgencyClaims`; the
 * replay check comes last, in the store, so that only otherwise-valid requests burn a jti.
 */

export const SIGNATURE_HEADER = 'x-agency-signature';
export const AGENCY_REQUEST_TYP = 'agency-request+jwt';
export const ALLOWED_ALGORITHMS = ['EdDSA', 'ES256'] as const;
/** Longest allowed signature lifetime, exp - iat (seconds). */
export const MAX_LIFETIME_SECONDS = 300;
/** Clock skew tolerated on iat and exp (seconds). */
export const CLOCK_SKEW_SECONDS = 30;
/** A compact JWS longer than this is refused before any decoding (no legitimate one comes close). */
export const MAX_SIGNATURE_LENGTH = 8192;

export type SignatureErrorCode =
  | 'missing_signature'
  | 'malformed_signature'
  | 'unknown_key'
  | 'revoked_key'
  | 'algorithm_not_allowed'
  | 'bad_signature'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'expired'
  | 'not_yet_valid'
  | 'replayed_request'
  | 'method_or_path_mismatch'
  | 'body_digest_mismatch'
  | 'unknown_purpose';

export const SIGNATURE_ERROR_CODES: readonly SignatureErrorCode[] = [
  'missing_signature',
  'malformed_signature',
  'unknown_key',
  'revoked_key',
  'algorithm_not_allowed',
  'bad_signature',
  'issuer_mismatch',
  'audience_mismatch',
  'expired',
  'not_yet_valid',
  'replayed_request',
  'method_or_path_mismatch',
  'body_digest_mismatch',
  'unknown_purpose',
];

export interface SignatureFailure {
  ok: false;
  code: SignatureErrorCode;
  message: string;
}

export interface AgencyRequestClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  htm: string;
  htu: string;
  purpose: string;
  body_sha256: string;
}

export interface DecodedSignature {
  ok: true;
  jws: string;
  header: { alg: string; kid: string; typ: string };
  claims: AgencyRequestClaims;
}

export const fail = (code: SignatureErrorCode, message: string): SignatureFailure => ({ ok: false, code, message });

const B64U = /^[A-Za-z0-9_-]*$/;
const JTI = /^[A-Za-z0-9_-]{16,128}$/;
const SHA256_B64U = /^[A-Za-z0-9_-]{43}$/;

/** A value from the request, quoted for an error message: bounded and JSON-escaped. */
export function quote(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

function decodeJsonSegment(segment: string): Record<string, unknown> | undefined {
  if (segment.length === 0 || !B64U.test(segment) || segment.length % 4 === 1) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Structure, header and claim types (no key, no clock, no request needed except presence).
 * Order: missing_signature → malformed_signature → algorithm_not_allowed.
 */
export function decodeAgencySignature(value: string | string[] | undefined): DecodedSignature | SignatureFailure {
  if (value === undefined || value === '') {
    return fail('missing_signature', 'this route needs an X-Agency-Signature header: a compact JWS signed with one of your registered keys (docs/contract.md §3)');
  }
  if (Array.isArray(value)) return fail('malformed_signature', 'send exactly one X-Agency-Signature header');
  const jws = value.trim();
  if (jws.length > MAX_SIGNATURE_LENGTH) return fail('malformed_signature', `X-Agency-Signature is longer than ${MAX_SIGNATURE_LENGTH} characters`);
  const parts = jws.split('.');
  if (parts.length !== 3) {
    return fail('malformed_signature', `X-Agency-Signature must be a compact JWS: three base64url parts separated by '.', found ${parts.length} part(s)`);
  }
  const [h, p, s] = parts;
  const header = decodeJsonSegment(h);
  if (!header) return fail('malformed_signature', 'the JWS protected header (first part) is not base64url-encoded JSON object');
  const payload = decodeJsonSegment(p);
  if (!payload) return fail('malformed_signature', 'the JWS payload (second part) is not a base64url-encoded JSON object of claims');
  if (!B64U.test(s)) return fail('malformed_signature', 'the JWS signature (third part) is not base64url');
  if (header.typ !== AGENCY_REQUEST_TYP) return fail('malformed_signature', `the protected header must have typ ${quote(AGENCY_REQUEST_TYP)} (found ${quote(header.typ ?? null)})`);
  if (typeof header.alg !== 'string' || header.alg === '') return fail('malformed_signature', 'the protected header has no alg');
  if (typeof header.kid !== 'string' || header.kid === '') return fail('malformed_signature', 'the protected header has no kid: name the registered key you signed with');
  if ('crit' in header) return fail('malformed_signature', 'the protected header must not carry crit: no extension is supported');
  if ('b64' in header || 'jku' in header || 'jwk' in header || 'x5u' in header || 'x5c' in header) {
    return fail('malformed_signature', 'the protected header may carry only alg, kid and typ (keys come from the registry, never from the request)');
  }
  const claimProblem = claimTypeProblem(payload);
  if (claimProblem) return fail('malformed_signature', claimProblem);
  if (!(ALLOWED_ALGORITHMS as readonly string[]).includes(header.alg)) {
    return fail('algorithm_not_allowed', `alg ${quote(header.alg)} is not allowed: sign with EdDSA (Ed25519) or ES256 (P-256)`);
  }
  if (s === '') return fail('bad_signature', 'the JWS signature part is empty');
  return { ok: true, jws, header: { alg: header.alg, kid: header.kid, typ: header.typ }, claims: payload as unknown as AgencyRequestClaims };
}

/** What is wrong with the claim types, or undefined. */
export function claimTypeProblem(c: Record<string, unknown>): string | undefined {
  for (const name of ['iss', 'aud', 'jti', 'htm', 'htu', 'purpose', 'body_sha256'] as const) {
    if (typeof c[name] !== 'string') return `claim ${name} must be a string`;
  }
  for (const name of ['iat', 'exp'] as const) {
    if (!isInt(c[name])) return `claim ${name} must be a whole number of seconds since the epoch`;
  }
  if (!JTI.test(c.jti as string)) return 'claim jti must be 16 to 128 base64url characters, unique per request';
  if (!SHA256_B64U.test(c.body_sha256 as string)) return 'claim body_sha256 must be the base64url (no padding) SHA-256 of the body: 43 characters';
  const lifetime = (c.exp as number) - (c.iat as number);
  if (lifetime <= 0) return 'claim exp must be after iat';
  if (lifetime > MAX_LIFETIME_SECONDS) return `exp - iat is ${lifetime} s; at most ${MAX_LIFETIME_SECONDS} s is allowed`;
  return undefined;
}

export interface ClaimContext {
  /** the agency that owns the kid that verified the signature */
  keyOwner: string;
  gatewayId: string;
  /** seconds since the epoch */
  now: number;
  method: string;
  /** path with query, exactly as received */
  url: string;
  /** base64url SHA-256 of the exact body bytes received */
  bodySha256: string;
}

/**
 * The claim checks after a verified signature, in the contract order:
 * issuer_mismatch → audience_mismatch → expired → not_yet_valid → unknown_purpose →
 * method_or_path_mismatch → body_digest_mismatch. Pure.
 */
export function checkAgencyClaims(claims: AgencyRequestClaims, ctx: ClaimContext): { ok: true; purpose: Purpose } | SignatureFailure {
  if (claims.iss !== ctx.keyOwner) return fail('issuer_mismatch', `iss ${quote(claims.iss)} does not own the signing key; the key belongs to ${quote(ctx.keyOwner)}`);
  if (claims.aud !== ctx.gatewayId) return fail('audience_mismatch', `aud must be this gateway's id ${quote(ctx.gatewayId)} (found ${quote(claims.aud)})`);
  if (ctx.now > claims.exp + CLOCK_SKEW_SECONDS) {
    return fail('expired', `the signature expired at ${new Date(claims.exp * 1000).toISOString()} (gateway time ${new Date(ctx.now * 1000).toISOString()}, ${CLOCK_SKEW_SECONDS} s skew allowed); sign each request just before sending it`);
  }
  if (claims.iat > ctx.now + CLOCK_SKEW_SECONDS) {
    return fail('not_yet_valid', `iat ${new Date(claims.iat * 1000).toISOString()} is in the future (gateway time ${new Date(ctx.now * 1000).toISOString()}, ${CLOCK_SKEW_SECONDS} s skew allowed); check your clock`);
  }
  if (!(PURPOSES as readonly string[]).includes(claims.purpose)) return fail('unknown_purpose', `purpose ${quote(claims.purpose)} is not one of ${PURPOSES.join(', ')}`);
  if (claims.htm !== ctx.method) return fail('method_or_path_mismatch', `htm ${quote(claims.htm)} does not match the request method ${quote(ctx.method)}`);
  if (claims.htu !== ctx.url) return fail('method_or_path_mismatch', `htu ${quote(claims.htu)} does not match the request path and query ${quote(ctx.url)}`);
  if (claims.body_sha256 !== ctx.bodySha256) {
    return fail('body_digest_mismatch', 'body_sha256 does not match the SHA-256 of the body received: sign the exact bytes you send (the empty string for GET)');
  }
  return { ok: true, purpose: claims.purpose as Purpose };
}
