import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { encodeJobMatch } from './job-match.message';
import { sampleJobMatchEvent } from './job-match.fixtures';
import { signerFromPrivateJwk, signJobMatch, verifyJobMatchSignature, type PublisherDirectory, type PublisherKey, type SignatureCheck } from './job-match.signature';

async function keyPair(alg: 'EdDSA' | 'ES256', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true });
  return { priv: { ...(await exportJWK(privateKey)), kid, alg } as JWK, pub: { ...(await exportJWK(publicKey)), kid, alg } as JWK };
}

function directory(keys: Record<string, Record<string, PublisherKey>>, publishers = Object.keys(keys)): PublisherDirectory {
  return { isPublisher: (a) => publishers.includes(a), key: (a, kid) => keys[a]?.[kid] };
}

describe('job-match signatures', () => {
  const value = encodeJobMatch(sampleJobMatchEvent());
  let ed: Awaited<ReturnType<typeof keyPair>>;
  let ec: Awaited<ReturnType<typeof keyPair>>;
  let other: Awaited<ReturnType<typeof keyPair>>;
  let dir: PublisherDirectory;

  beforeAll(async () => {
    ed = await keyPair('EdDSA', 'esdc-ed');
    ec = await keyPair('ES256', 'esdc-ec');
    other = await keyPair('EdDSA', 'esdc-old');
    dir = directory({
      'ca.esdc': {
        'esdc-ed': { jwk: ed.pub, alg: 'EdDSA', status: 'active' },
        'esdc-ec': { jwk: ec.pub, alg: 'ES256', status: 'active' },
        'esdc-old': { jwk: other.pub, alg: 'EdDSA', status: 'revoked' },
      },
      'qc.mifi': {},
    }, ['ca.esdc']);
  });

  const fail = (code: string, detail: string) => expect.objectContaining({ ok: false, code, detail }) as unknown as SignatureCheck;

  it.each(['EdDSA', 'ES256'] as const)('verifies an event signed with an active %s key', async (alg) => {
    const signer = await signerFromPrivateJwk('ca.esdc', alg === 'EdDSA' ? ed.priv : ec.priv);
    const signature = await signJobMatch(signer, 'evt-0001', value);
    await expect(verifyJobMatchSignature({ agency: 'ca.esdc', signature, value }, dir)).resolves.toEqual({ ok: true, agency: 'ca.esdc', kid: signer.kid, eventId: 'evt-0001' });
  });

  it('refuses a value changed after signing', async () => {
    const signature = await signJobMatch(await signerFromPrivateJwk('ca.esdc', ed.priv), 'evt-0001', value);
    const changed = Buffer.from(value);
    changed[changed.length - 1] ^= 1;
    await expect(verifyJobMatchSignature({ agency: 'ca.esdc', signature, value: changed }, dir)).resolves.toEqual(fail('bad_signature', 'value_sha256 does not match the value'));
  });

  it('refuses a missing or non-publisher agency', async () => {
    const signature = await signJobMatch(await signerFromPrivateJwk('ca.esdc', ed.priv), 'e', value);
    await expect(verifyJobMatchSignature({ agency: undefined, signature, value }, dir)).resolves.toEqual(fail('unknown_publisher', 'missing x-agency header'));
    await expect(verifyJobMatchSignature({ agency: 'qc.mifi', signature, value }, dir)).resolves.toEqual(fail('unknown_publisher', 'x-agency is not a publisher in the registry'));
  });

  it('refuses an unknown, revoked or another agency\'s key', async () => {
    const stranger = await keyPair('EdDSA', 'nobody');
    const s1 = await signJobMatch(await signerFromPrivateJwk('ca.esdc', stranger.priv), 'e', value);
    await expect(verifyJobMatchSignature({ agency: 'ca.esdc', signature: s1, value }, dir)).resolves.toEqual(fail('unknown_key', 'kid is not a key of the publisher'));
    const s2 = await signJobMatch(await signerFromPrivateJwk('ca.esdc', other.priv), 'e', value);
    await expect(verifyJobMatchSignature({ agency: 'ca.esdc', signature: s2, value }, dir)).resolves.toEqual(fail('unknown_key', 'key is revoked'));
  });

  it('refuses a signature made with a different key under a known kid', async () => {
    const forger = await keyPair('EdDSA', 'esdc-ed');
    const signature = await signJobMatch(await signerFromPrivateJwk('ca.esdc', forger.priv), 'e', value);
    await expect(verifyJobMatchSignature({ agency: 'ca.esdc', signature, value }, dir)).resolves.toEqual(fail('bad_signature', 'signature does not verify'));
  });

  it('refuses an iss that is not the x-agency', async () => {
    const signature = await signJobMatch(await signerFromPrivateJwk('qc.mifi', ed.priv), 'e', value);
    await expect(verifyJobMatchSignature({ agency: 'ca.esdc', signature, value }, dir)).resolves.toEqual(fail('bad_signature', 'iss does not match x-agency'));
  });

  it('refuses a missing, malformed, mistyped, or disallowed-algorithm signature', async () => {
    await expect(verifyJobMatchSignature({ agency: 'ca.esdc', signature: undefined, value }, dir)).resolves.toEqual(fail('bad_signature', 'missing x-signature header'));
    await expect(verifyJobMatchSignature({ agency: 'ca.esdc', signature: 'a.b', value }, dir)).resolves.toEqual(fail('bad_signature', 'x-signature is not a compact JWS'));
    const payload = new TextEncoder().encode('{}');
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const wrongTyp = await new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', kid: 'esdc-ed', typ: 'JWT' }).sign(privateKey);
    await expect(verifyJobMatchSignature({ agency: 'ca.esdc', signature: wrongTyp, value }, dir)).resolves.toEqual(fail('bad_signature', 'JWS typ must be job-match+jwt'));
    const hs = await new CompactSign(payload).setProtectedHeader({ alg: 'HS256', kid: 'esdc-ed', typ: 'job-match+jwt' }).sign(new Uint8Array(32));
    await expect(verifyJobMatchSignature({ agency: 'ca.esdc', signature: hs, value }, dir)).resolves.toEqual(fail('bad_signature', 'JWS alg must be one of EdDSA, ES256'));
    const mismatched = await new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', kid: 'esdc-ec', typ: 'job-match+jwt' }).sign(privateKey);
    await expect(verifyJobMatchSignature({ agency: 'ca.esdc', signature: mismatched, value }, dir)).resolves.toEqual(fail('bad_signature', 'JWS alg does not match the key'));
  });

  it('refuses a key file without a private part', async () => {
    await expect(signerFromPrivateJwk('ca.esdc', ed.pub)).rejects.toThrow('the key file holds no private key');
  });
});
