import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, compactVerify, type JWK } from 'jose';
import { createGatewayKey, loadGatewayKeys, signAsGateway } from '@passerelle/crypto';
import { Registry, type RegistryDocument } from '@passerelle/registry';
import { jwsSignatureVerifies, verifyAgencySignature } from './agency-signature.verifier';
import { signWithGatewayKey } from './response-signer';

type Alg = 'EdDSA' | 'ES256';
const pair = (alg: Alg) => (alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const KEYS: Record<Alg, Array<{ privateKey: KeyObject; publicKey: KeyObject }>> = { EdDSA: [pair('EdDSA'), pair('EdDSA')], ES256: [pair('ES256'), pair('ES256')] };
const b64u = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** What the gateway does now (header alg pinned to the key's, then node:crypto) vs what jose's compactVerify says with the same pin. */
async function agree(jws: string, alg: Alg, publicKey: KeyObject): Promise<boolean> {
  let header: { alg?: unknown } = {};
  try {
    header = JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString('utf8')) as { alg?: unknown };
  } catch {
    header = {};
  }
  const fast = header.alg === alg && (await jwsSignatureVerifies(jws, alg, publicKey));
  const slow = await compactVerify(jws, publicKey, { algorithms: [alg] }).then(
    () => true,
    () => false,
  );
  // The gateway is stricter than jose in one place on purpose: a signature whose base64url has
  // non-zero padding bits (a second spelling of the same bytes) is refused, so one signature has one
  // spelling. jose decodes it leniently and accepts.
  const sig = jws.slice(jws.lastIndexOf('.') + 1);
  const canonical = Buffer.from(sig, 'base64url').toString('base64url') === sig;
  expect({ jws, alg, fast }).toEqual({ jws, alg, fast: canonical ? slow : false });
  return fast;
}

const flip = (s: string, i: number) => {
  const k = i % s.length;
  return s.slice(0, k) + (s[k] === 'A' ? 'B' : 'A') + s.slice(k + 1);
};

describe('node:crypto JWS verification agrees with jose', () => {
  const arb = fc.record({ alg: fc.constantFrom<Alg>('EdDSA', 'ES256'), payload: fc.jsonValue(), extra: fc.dictionary(fc.constantFrom('kid', 'typ', 'x'), fc.string({ maxLength: 8 })), at: fc.nat() });

  it('valid, tampered payload, tampered header, tampered signature, wrong key', async () => {
    await fc.assert(
      fc.asyncProperty(arb, async ({ alg, payload, extra, at }) => {
        const [mine, other] = KEYS[alg];
        const jws = await new CompactSign(Buffer.from(JSON.stringify(payload) ?? 'null')).setProtectedHeader({ ...extra, alg }).sign(mine.privateKey);
        const [h, p, s] = jws.split('.');
        expect(await agree(jws, alg, mine.publicKey)).toBe(true);
        expect(await agree(`${h}.${flip(p, at)}.${s}`, alg, mine.publicKey)).toBe(false);
        expect(await agree(`${flip(h, at)}.${p}.${s}`, alg, mine.publicKey)).toBe(false);
        expect(await agree(`${h}.${p}.${flip(s, at)}`, alg, mine.publicKey)).toBe(false);
        expect(await agree(`${h}.${p}.${s}A`, alg, mine.publicKey)).toBe(false);
        // the same signature bytes spelled with a non-zero padding bit in the last character
        // (64 bytes: the last character carries 2 bits, so it is one of A, Q, g, w; the next letter sets a padding bit)
        expect('AQgw').toContain(s.at(-1));
        const respelled = `${s.slice(0, -1)}${String.fromCharCode((s.at(-1) as string).charCodeAt(0) + 1)}`;
        expect(await agree(`${h}.${p}.${respelled}`, alg, mine.publicKey)).toBe(false);
        expect(await agree(jws, alg, other.publicKey)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('alg confusion (ES256 ↔ EdDSA, either key) and alg none are refused by both', async () => {
    await fc.assert(
      fc.asyncProperty(arb, async ({ alg, payload }) => {
        const otherAlg: Alg = alg === 'EdDSA' ? 'ES256' : 'EdDSA';
        const body = Buffer.from(JSON.stringify(payload) ?? 'null');
        const jws = await new CompactSign(body).setProtectedHeader({ alg }).sign(KEYS[alg][0].privateKey);
        const [h, p, s] = jws.split('.');
        // the header claims the other alg, over this alg's signature and key, or the other alg's key
        const relabelled = `${b64u({ alg: otherAlg })}.${p}.${s}`;
        expect(await agree(relabelled, otherAlg, KEYS[alg][0].publicKey)).toBe(false);
        expect(await agree(relabelled, otherAlg, KEYS[otherAlg][0].publicKey)).toBe(false);
        expect(await agree(jws, otherAlg, KEYS[alg][0].publicKey)).toBe(false);
        expect(await agree(jws, alg, KEYS[otherAlg][0].publicKey)).toBe(false);
        expect(await agree(`${b64u({ alg: 'none' })}.${p}.`, alg, KEYS[alg][0].publicKey)).toBe(false);
        expect(await agree(`${h}.${p}.`, alg, KEYS[alg][0].publicKey)).toBe(false);
      }),
      { numRuns: 80 },
    );
  });
});

describe('response signatures from the cached key object', () => {
  it('are byte for byte what jose signs (Ed25519 is deterministic) for random claims', async () => {
    const dir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'gw-keys-'));
    await createGatewayKey(dir);
    const keys = await loadGatewayKeys(dir);
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue()), fc.string({ maxLength: 20 }), async (claims, typ) => {
        expect(await signWithGatewayKey(keys, typ, claims)).toBe(await signAsGateway(keys, typ, claims));
      }),
      { numRuns: 100 },
    );
  });
});

describe('key cache and registry reloads', () => {
  const NOW = 1_800_000_000;
  const first = pair('EdDSA');
  const replacement = pair('EdDSA');
  const docWith = (key: KeyObject, status: 'active' | 'retired' | 'revoked'): RegistryDocument => ({
    gatewayId: 'passerelle',
    agencies: [{ id: 'qc.mifi', names: { en: 'a', fr: 'b' }, jurisdiction: 'QC', roles: ['PROVIDER'], keys: [{ ...(key.export({ format: 'jwk' }) as { kty: 'OKP'; x: string }), crv: 'Ed25519', kid: 'mifi-1', alg: 'EdDSA', status }] }],
    agreements: [],
    programs: [],
  });
  const body = Buffer.from('{}');
  const signed = () =>
    new CompactSign(
      Buffer.from(JSON.stringify({ iss: 'qc.mifi', aud: 'passerelle', iat: NOW, exp: NOW + 60, jti: 'abcdefghijklmnop0123', htm: 'POST', htu: '/graphql', purpose: 'STATISTICS', body_sha256: require('node:crypto').createHash('sha256').update(body).digest('base64url') })),
    )
      .setProtectedHeader({ alg: 'EdDSA', kid: 'mifi-1', typ: 'agency-request+jwt' })
      .sign(first.privateKey);
  const verify = async (registry: Registry) => verifyAgencySignature({ header: await signed(), method: 'POST', url: '/graphql', body }, registry, NOW);

  it('refuses a rotated-out key right after the reload, and never verifies with the material a kid had before', async () => {
    const before = new Registry(docWith(first.publicKey, 'active'));
    await expect(verify(before)).resolves.toMatchObject({ ok: true });
    await expect(verify(before)).resolves.toMatchObject({ ok: true }); // from the cache
    await expect(verify(new Registry(docWith(first.publicKey, 'revoked')))).resolves.toMatchObject({ ok: false, code: 'revoked_key' });
    await expect(verify(new Registry(docWith(first.publicKey, 'retired')))).resolves.toMatchObject({ ok: false, code: 'revoked_key' });
    // the same kid now names another key: the old signature no longer verifies
    await expect(verify(new Registry(docWith(replacement.publicKey, 'active')))).resolves.toMatchObject({ ok: false, code: 'bad_signature' });
    await expect(verify(before)).resolves.toMatchObject({ ok: true });
    const jwk = first.privateKey.export({ format: 'jwk' }) as JWK;
    expect(jwk.d).toBeDefined();
  });
});
