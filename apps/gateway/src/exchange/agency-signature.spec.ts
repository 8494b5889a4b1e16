import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, importJWK, type JWK } from 'jose';
import { Registry, type RegistryDocument } from '@passerelle/registry';
import { verifyAgencySignature } from './agency-signature.verifier';
import { checkAgencyClaims, claimTypeProblem, decodeAgencySignature, SIGNATURE_ERROR_CODES, type AgencyRequestClaims } from './signature-claims';

const b64u = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('base64url');
const NOW = 1_800_000_000;

function keyPair(kind: 'ed25519' | 'ec') {
  const pair = kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { priv: pair.privateKey.export({ format: 'jwk' }) as JWK, pub: pair.publicKey.export({ format: 'jwk' }) as JWK };
}
const mifi = keyPair('ed25519');
const mifiEc = keyPair('ec');
const esdc = keyPair('ed25519');
const retired = keyPair('ed25519');
const revoked = keyPair('ed25519');

const doc: RegistryDocument = {
  gatewayId: 'passerelle',
  agencies: [
    {
      id: 'qc.mifi',
      names: { en: 'a', fr: 'b' },
      jurisdiction: 'QC',
      roles: ['PROVIDER', 'CONSUMER'],
      keys: [
        { ...(mifi.pub as { kty: 'OKP'; x: string }), crv: 'Ed25519', kid: 'mifi-1', alg: 'EdDSA', status: 'active' },
        { ...(mifiEc.pub as { kty: 'EC'; x: string }), kid: 'mifi-ec', alg: 'ES256', status: 'active' },
        { ...(retired.pub as { kty: 'OKP'; x: string }), kid: 'mifi-old', alg: 'EdDSA', status: 'retired' },
        { ...(revoked.pub as { kty: 'OKP'; x: string }), kid: 'mifi-bad', alg: 'EdDSA', status: 'revoked' },
      ],
    },
    { id: 'ca.esdc', names: { en: 'a', fr: 'b' }, jurisdiction: 'CA', roles: ['CONSUMER'], keys: [{ ...(esdc.pub as { kty: 'OKP'; x: string }), kid: 'esdc-1', alg: 'EdDSA', status: 'active' }] },
  ],
  agreements: [],
  programs: [],
};
const registry = new Registry(doc);
const BODY = '{"query":"{ gatewayInfo { contractVersion } }"}';

function claims(over: Partial<AgencyRequestClaims> = {}): AgencyRequestClaims {
  return { iss: 'qc.mifi', aud: 'passerelle', iat: NOW, exp: NOW + 60, jti: 'abcdefghijklmnop0123', htm: 'POST', htu: '/graphql', purpose: 'STATISTICS', body_sha256: sha(BODY), ...over };
}

async function sign(c: unknown, opts: { kid?: string; alg?: 'EdDSA' | 'ES256'; key?: JWK; header?: Record<string, unknown> } = {}) {
  const alg = opts.alg ?? 'EdDSA';
  const key = await importJWK(opts.key ?? mifi.priv, alg);
  return new CompactSign(Buffer.from(JSON.stringify(c)))
    .setProtectedHeader({ alg, kid: opts.kid ?? 'mifi-1', typ: 'agency-request+jwt', ...opts.header })
    .sign(key);
}

const verify = (header: string | undefined, over: { method?: string; url?: string; body?: string; now?: number } = {}) =>
  verifyAgencySignature({ header, method: over.method ?? 'POST', url: over.url ?? '/graphql', body: Buffer.from(over.body ?? BODY) }, registry, over.now ?? NOW);

describe('verifyAgencySignature', () => {
  it('accepts a good EdDSA and a good ES256 signature and names the caller', async () => {
    await expect(verify(await sign(claims()))).resolves.toEqual({ ok: true, caller: { agency: 'qc.mifi', kid: 'mifi-1', jti: 'abcdefghijklmnop0123', purpose: 'STATISTICS', exp: NOW + 60 } });
    await expect(verify(await sign(claims(), { kid: 'mifi-ec', alg: 'ES256', key: mifiEc.priv }))).resolves.toMatchObject({ ok: true });
  });

  const cases: Array<[string, () => Promise<string | undefined>, string, Parameters<typeof verify>[1]?]> = [
    ['no header', async () => undefined, 'missing_signature'],
    ['two parts', async () => 'a.b', 'malformed_signature'],
    ['header not JSON', async () => `${b64u('nope')}.${b64u(claims())}.sig`, 'malformed_signature'],
    ['wrong typ', async () => sign(claims(), { header: { typ: 'JWT' } }), 'malformed_signature'],
    ['jti too short', async () => sign(claims({ jti: 'short' })), 'malformed_signature'],
    ['iat not a number', async () => sign({ ...claims(), iat: '1' }), 'malformed_signature'],
    ['exp - iat over 300 s', async () => sign(claims({ exp: NOW + 301 })), 'malformed_signature'],
    ['alg none', async () => `${b64u({ alg: 'none', kid: 'mifi-1', typ: 'agency-request+jwt' })}.${b64u(claims())}.`, 'algorithm_not_allowed'],
    ['HS256 with the public key as secret', async () => {
      const h = b64u({ alg: 'HS256', kid: 'mifi-1', typ: 'agency-request+jwt' });
      const p = b64u(claims());
      const mac = require('node:crypto').createHmac('sha256', JSON.stringify(mifi.pub)).update(`${h}.${p}`).digest('base64url');
      return `${h}.${p}.${mac}`;
    }, 'algorithm_not_allowed'],
    ['ES256 header on an EdDSA key', async () => sign(claims(), { alg: 'ES256', key: mifiEc.priv }), 'algorithm_not_allowed'],
    ['unknown kid', async () => sign(claims(), { kid: 'nobody' }), 'unknown_key'],
    ['retired key', async () => sign(claims(), { kid: 'mifi-old', key: retired.priv }), 'revoked_key'],
    ['revoked key', async () => sign(claims(), { kid: 'mifi-bad', key: revoked.priv }), 'revoked_key'],
    ['another agency\'s key', async () => sign(claims(), { key: esdc.priv }), 'bad_signature'],
    ['payload changed after signing', async () => {
      const [h, , s] = (await sign(claims())).split('.');
      return `${h}.${b64u(claims({ purpose: 'JOB_MATCHING' }))}.${s}`;
    }, 'bad_signature'],
    ['iss not owning the kid', async () => sign(claims({ iss: 'ca.esdc' })), 'issuer_mismatch'],
    ['wrong audience', async () => sign(claims({ aud: 'other-gateway' })), 'audience_mismatch'],
    ['expired', async () => sign(claims({ iat: NOW - 120, exp: NOW - 31 })), 'expired'],
    ['iat 31 s in the future', async () => sign(claims({ iat: NOW + 31, exp: NOW + 91 })), 'not_yet_valid'],
    ['unknown purpose', async () => sign(claims({ purpose: 'CURIOSITY' })), 'unknown_purpose'],
    ['method changed', async () => sign(claims()), 'method_or_path_mismatch', { method: 'GET' }],
    ['path changed after signing', async () => sign(claims()), 'method_or_path_mismatch', { url: '/graphql?x=1' }],
    ['body changed after signing', async () => sign(claims()), 'body_digest_mismatch', { body: BODY.replace('gatewayInfo', 'claimants') }],
  ];
  // Rows padded to 4 so jest never mistakes the last parameter for a `done` callback.
  it.each(cases.map(([n, m, c, o]) => [n, m, c, o ?? {}] as const))('refuses %s', async (_name, make, code, over) => {
    const result = await verify(await make(), over);
    expect(result).toMatchObject({ ok: false, code });
    if (!result.ok) expect(result.message.length).toBeGreaterThan(10);
  });

  it('tolerates 30 s of skew on both ends', async () => {
    await expect(verify(await sign(claims({ iat: NOW + 30, exp: NOW + 90 })))).resolves.toMatchObject({ ok: true });
    await expect(verify(await sign(claims({ iat: NOW - 90, exp: NOW - 30 })))).resolves.toMatchObject({ ok: true });
  });

  it('answers a contract code, never throws, on arbitrary headers (property)', async () => {
    const segment = fc.oneof(fc.string(), fc.base64String(), fc.jsonValue().map(b64u));
    const header = fc.oneof(
      fc.string(),
      fc.tuple(segment, segment, segment).map((p) => p.join('.')),
      fc.record({ alg: fc.oneof(fc.constantFrom('EdDSA', 'ES256', 'none', 'HS256'), fc.string()), kid: fc.constantFrom('mifi-1', 'mifi-old', 'x'), typ: fc.constantFrom('agency-request+jwt', 'JWT') }).chain((h) =>
        fc.tuple(fc.constant(b64u(h)), fc.jsonValue().map(b64u), fc.base64String()).map((p) => p.join('.').replace(/=/g, '')),
      ),
    );
    await fc.assert(
      fc.asyncProperty(header, async (h) => {
        const r = await verify(h);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(SIGNATURE_ERROR_CODES).toContain(r.code);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('pure claim checks', () => {
  const ctx = { keyOwner: 'qc.mifi', gatewayId: 'passerelle', now: NOW, method: 'POST', url: '/graphql', bodySha256: sha(BODY) };

  it('accept the lifetime window exactly up to 300 s (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), (lifetime) => {
        const problem = claimTypeProblem({ ...claims(), exp: NOW + lifetime });
        expect(problem === undefined).toBe(lifetime > 0 && lifetime <= 300);
      }),
    );
  });

  it('expiry and not-before follow the 30 s skew (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -400, max: 400 }), fc.integer({ min: 1, max: 300 }), (offset, ttl) => {
        const c = claims({ iat: NOW + offset, exp: NOW + offset + ttl });
        const r = checkAgencyClaims(c, ctx);
        const expected = NOW > c.exp + 30 ? 'expired' : c.iat > NOW + 30 ? 'not_yet_valid' : 'ok';
        expect(r.ok ? 'ok' : r.code).toBe(expected);
      }),
    );
  });

  it('decodeAgencySignature rejects arrays of headers and oversized values', () => {
    expect(decodeAgencySignature(['a', 'b'])).toMatchObject({ code: 'malformed_signature' });
    expect(decodeAgencySignature('a'.repeat(10_000))).toMatchObject({ code: 'malformed_signature' });
    expect(decodeAgencySignature('')).toMatchObject({ code: 'missing_signature' });
  });

  it('quotes request values in messages only bounded', async () => {
    const r = await verify(await sign(claims({ aud: 'x'.repeat(500) })));
    expect(!r.ok && r.message.length < 300).toBe(true);
  });
});
