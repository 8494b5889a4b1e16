import { b64url, fromB64url, fromUtf8, randomB64url, sha256b64u, utf8 } from './bytes';

/**
 * Compact JWS in the browser with WebCrypto: the operator's private key is imported
 * non-extractable and never leaves this module's CryptoKey; the gateway's signatures
 * (responses, tree heads) are checked against its published JWKS.
 */

export type AgencyAlg = 'EdDSA' | 'ES256';

export const PURPOSES = ['JOB_MATCHING', 'RELOCATION', 'PROGRAM_ELIGIBILITY', 'STATISTICS', 'PROVISION', 'CONSENT_MANAGEMENT', 'AUDIT_REVIEW'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** A signing key held in memory only: the CryptoKey cannot be exported, even by this page. */
export interface AgencyKey {
  kid: string;
  alg: AgencyAlg;
  privateKey: CryptoKey;
}

export class KeyImportError extends Error {
  constructor(readonly code: 'not_json' | 'not_private' | 'unsupported' | 'no_kid' | 'invalid', message: string) {
    super(message);
    this.name = 'KeyImportError';
  }
}

function signingParams(alg: AgencyAlg): AlgorithmIdentifier | EcdsaParams {
  return alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
}

/**
 * Imports a private JWK as written by `passerelle keys generate` ({kty:'OKP', crv:'Ed25519', x, d,
 * kid, alg:'EdDSA'} or an EC P-256 key for ES256), as a NON-extractable signing key.
 */
export async function importAgencyKey(text: string): Promise<AgencyKey> {
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new KeyImportError('not_json', 'the file is not JSON');
  }
  if (typeof jwk !== 'object' || jwk === null) throw new KeyImportError('not_json', 'the file is not a JWK object');
  if (typeof jwk.d !== 'string') throw new KeyImportError('not_private', 'this JWK has no private part (d): import the private key file');
  if (typeof jwk.kid !== 'string' || !jwk.kid) throw new KeyImportError('no_kid', 'this JWK has no kid');
  let alg: AgencyAlg;
  let params: AlgorithmIdentifier | EcKeyImportParams;
  const base: JsonWebKey = { kty: String(jwk.kty), crv: String(jwk.crv), x: jwk.x as string, d: jwk.d };
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && (jwk.alg === undefined || jwk.alg === 'EdDSA' || jwk.alg === 'Ed25519')) {
    alg = 'EdDSA';
    params = { name: 'Ed25519' };
  } else if (jwk.kty === 'EC' && jwk.crv === 'P-256' && (jwk.alg === undefined || jwk.alg === 'ES256')) {
    alg = 'ES256';
    params = { name: 'ECDSA', namedCurve: 'P-256' };
    base.y = jwk.y as string;
  } else {
    throw new KeyImportError('unsupported', `only Ed25519 (EdDSA) and P-256 (ES256) keys are accepted, not ${String(jwk.kty)}/${String(jwk.crv)}`);
  }
  try {
    const privateKey = await crypto.subtle.importKey('jwk', base, params, false, ['sign']);
    return { kid: jwk.kid, alg, privateKey };
  } catch (e) {
    throw new KeyImportError('invalid', `the key could not be imported (${(e as Error).message})`);
  }
}

export async function signCompact(key: AgencyKey, header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
  const input = `${b64url(utf8(JSON.stringify(header)))}.${b64url(utf8(JSON.stringify(claims)))}`;
  const signature = new Uint8Array(await crypto.subtle.sign(signingParams(key.alg), key.privateKey, utf8(input)));
  // WebCrypto's ECDSA signature is already r ‖ s (64 bytes): the JWS form.
  return `${input}.${b64url(signature)}`;
}

export interface RequestToSign {
  agency: string;
  gatewayId: string;
  method: string;
  /** path with query, exactly as sent */
  path: string;
  body: string;
  purpose: Purpose;
  /** seconds since the epoch; default now */
  now?: number;
}

export interface AgencyRequestClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  htm: string;
  htu: string;
  purpose: Purpose;
  body_sha256: string;
}

export const REQUEST_TTL_SECONDS = 60;

/** The X-Agency-Signature of one request (docs/contract.md §3). */
export async function signAgencyRequest(key: AgencyKey, req: RequestToSign): Promise<{ jws: string; claims: AgencyRequestClaims }> {
  const iat = req.now ?? Math.floor(Date.now() / 1000);
  const claims: AgencyRequestClaims = {
    iss: req.agency,
    aud: req.gatewayId,
    iat,
    exp: iat + REQUEST_TTL_SECONDS,
    jti: randomB64url(24),
    htm: req.method.toUpperCase(),
    htu: req.path,
    purpose: req.purpose,
    body_sha256: await sha256b64u(req.body),
  };
  const jws = await signCompact(key, { alg: key.alg, kid: key.kid, typ: 'agency-request+jwt' }, { ...claims });
  return { jws, claims };
}

export interface Jwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  kid?: string;
  alg?: string;
  /** `tree-head+jwt` on the audit log's keys: the only keys a tree head may verify with */
  signs?: string;
}

export interface Jwks {
  keys: Jwk[];
}

export type JwsCheck<T> =
  | { ok: true; header: { alg: string; kid: string; typ?: string }; claims: T }
  | { ok: false; reason: 'malformed' | 'wrong_typ' | 'unknown_key' | 'algorithm_not_allowed' | 'bad_signature'; detail: string; claims?: T };

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function looksLikeCompactJws(value: unknown): value is string {
  return typeof value === 'string' && COMPACT.test(value);
}

/** Decodes without verifying (to show what a refused artefact claimed). */
export function decodeCompact<T>(jws: string): { header: Record<string, unknown>; claims: T } | undefined {
  if (!looksLikeCompactJws(jws)) return undefined;
  try {
    const [h, p] = jws.split('.');
    return { header: JSON.parse(fromUtf8(fromB64url(h))) as Record<string, unknown>, claims: JSON.parse(fromUtf8(fromB64url(p))) as T };
  } catch {
    return undefined;
  }
}

const importedPublic = new Map<string, Promise<CryptoKey>>();

function publicKey(jwk: Jwk): Promise<CryptoKey> {
  const id = `${jwk.kty}|${jwk.crv}|${jwk.x}|${jwk.y ?? ''}`;
  let key = importedPublic.get(id);
  if (!key) {
    key =
      jwk.kty === 'OKP'
        ? crypto.subtle.importKey('jwk', { kty: 'OKP', crv: jwk.crv, x: jwk.x }, { name: 'Ed25519' }, false, ['verify'])
        : crypto.subtle.importKey('jwk', { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    key.catch(() => importedPublic.delete(id));
    importedPublic.set(id, key);
  }
  return key;
}

/** Verifies a compact JWS by the gateway: `typ` must match, the key must be in the JWKS (by kid). */
export async function verifyGatewayJws<T>(jws: string, jwks: Jwks, typ: string): Promise<JwsCheck<T>> {
  const decoded = decodeCompact<T>(jws);
  if (!decoded) return { ok: false, reason: 'malformed', detail: 'not a compact JWS with JSON header and claims' };
  const { header, claims } = decoded;
  if (header.typ !== typ) return { ok: false, reason: 'wrong_typ', detail: `typ is ${String(header.typ)}, expected ${typ}`, claims };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return { ok: false, reason: 'unknown_key', detail: `kid ${String(header.kid)} is not in the gateway JWKS`, claims };
  const alg = header.alg;
  const okpOk = alg === 'EdDSA' && jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
  const ecOk = alg === 'ES256' && jwk.kty === 'EC' && jwk.crv === 'P-256';
  if (!okpOk && !ecOk) return { ok: false, reason: 'algorithm_not_allowed', detail: `alg ${String(alg)} does not fit key ${String(header.kid)}`, claims };
  const [h, p, s] = jws.split('.');
  let valid = false;
  try {
    valid = await crypto.subtle.verify(signingParams(alg as AgencyAlg), await publicKey(jwk), fromB64url(s), utf8(`${h}.${p}`));
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: 'bad_signature', detail: 'the signature does not verify with the gateway key', claims };
  return { ok: true, header: header as { alg: string; kid: string; typ?: string }, claims };
}
