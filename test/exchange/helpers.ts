import { createHash, randomBytes } from 'node:crypto';
import { CompactSign, importJWK, type JWK } from 'jose';
import type { TestAgencyKey } from '@passerelle/testing';

export const sha256b64u = (s: string | Buffer) => createHash('sha256').update(s).digest('base64url');
export const b64u = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
export const newJti = () => randomBytes(18).toString('base64url');
export const GATEWAY_INFO = JSON.stringify({ query: '{ gatewayInfo { contractVersion } }' });

export interface CraftOptions {
  key: TestAgencyKey;
  gatewayId: string;
  method?: string;
  path?: string;
  body?: string;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** sign with another private key than `key` (e.g. another agency's) */
  signWith?: JWK;
}

/** A request signature with any claim or header overridden, for the refusal tests. */
export async function craftSignature(o: CraftOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: o.key.agency,
    aud: o.gatewayId,
    iat: now,
    exp: now + 60,
    jti: newJti(),
    htm: o.method ?? 'POST',
    htu: o.path ?? '/graphql',
    purpose: 'STATISTICS',
    body_sha256: sha256b64u(o.body ?? (o.method === 'GET' ? '' : GATEWAY_INFO)),
    ...o.claims,
  };
  const alg = o.key.alg;
  return new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ alg, kid: o.key.kid, typ: 'agency-request+jwt', ...o.header })
    .sign(await importJWK(o.signWith ?? o.key.privateJwk, alg));
}

export async function post(url: string, signature: string | undefined, body = GATEWAY_INFO, path = '/graphql', extraHeaders: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature !== undefined ? { 'x-agency-signature': signature } : {}), ...extraHeaders },
    body,
  });
  const text = await res.text();
  let json: { error?: { code: string; message: string }; data?: unknown } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, gatewaySignature: res.headers.get('x-gateway-signature') };
}
