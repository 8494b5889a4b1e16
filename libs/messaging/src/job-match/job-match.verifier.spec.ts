import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { encodeJobMatch } from './job-match.message';
import { sampleJobMatchEvent } from './job-match.fixtures';
import { signerFromPrivateJwk, signJobMatch, verifyJobMatchSignature, type PublisherDirectory, type PublisherKey } from './job-match.signature';
import { JobMatchVerifier, jobMatchValueSha256 } from './job-match.verifier';

async function keyPair(alg: 'EdDSA' | 'ES256', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true });
  return { privateKey, priv: { ...(await exportJWK(privateKey)), kid, alg } as JWK, pub: { ...(await exportJWK(publicKey)), kid, alg } as JWK };
}

/** The synchronous verifier answers exactly as verifyJobMatchSignature (jose) does, case by case. */
describe('JobMatchVerifier', () => {
  const value = encodeJobMatch(sampleJobMatchEvent());
  const cases: Array<{ name: string; agency: string | undefined; signature: string | undefined; value: Buffer }> = [];
  let keys: Record<string, Record<string, PublisherKey>>;
  let dir: PublisherDirectory;
  let lookups = 0;

  beforeAll(async () => {
    const ed = await keyPair('EdDSA', 'esdc-ed');
    const ec = await keyPair('ES256', 'esdc-ec');
    const old = await keyPair('EdDSA', 'esdc-old');
    const stranger = await keyPair('EdDSA', 'nobody');
    const forger = await keyPair('EdDSA', 'esdc-ed');
    keys = {
      'ca.esdc': {
        'esdc-ed': { jwk: ed.pub, alg: 'EdDSA', status: 'active' },
        'esdc-ec': { jwk: ec.pub, alg: 'ES256', status: 'active' },
        'esdc-old': { jwk: old.pub, alg: 'EdDSA', status: 'revoked' },
      },
    };
    dir = {
      isPublisher: (a) => a === 'ca.esdc',
      key: (a, kid) => {
        lookups++;
        return keys[a]?.[kid];
      },
    };
    const sign = async (priv: JWK, agency = 'ca.esdc', eventId = 'evt-0001', v: Buffer = value) => signJobMatch(await signerFromPrivateJwk(agency, priv), eventId, v);
    const raw = (header: Record<string, unknown>, payload: unknown, key = ed.privateKey) =>
      new CompactSign(new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload))).setProtectedHeader(header as never).sign(key);
    const good = await sign(ed.priv);
    const changed = Buffer.from(value);
    changed[changed.length - 1] ^= 1;
    const add = (name: string, signature: string | undefined, agency: string | undefined = 'ca.esdc', v = value) => cases.push({ name, agency, signature, value: v });
    add('EdDSA ok', good);
    add('ES256 ok', await sign(ec.priv));
    add('value changed', good, 'ca.esdc', changed);
    add('no agency', good, undefined);
    add('not a publisher', good, 'qc.mifi');
    add('unknown kid', await sign(stranger.priv));
    add('revoked kid', await sign(old.priv));
    add('forged under a known kid', await sign(forger.priv));
    add('iss of another agency', await sign(ed.priv, 'qc.mifi'));
    add('no signature', undefined);
    add('two parts', 'a.b');
    add('header not JSON', 'bm90IGpzb24.e30.AAAA');
    add('four parts', `${good}.x`);
    const typ = { alg: 'EdDSA', kid: 'esdc-ed', typ: 'job-match+jwt' };
    add('wrong typ', await raw({ ...typ, typ: 'JWT' }, {}));
    add('HS256', await new CompactSign(new TextEncoder().encode('{}')).setProtectedHeader({ ...typ, alg: 'HS256' }).sign(new Uint8Array(32)));
    add('alg of another key', await raw({ ...typ, kid: 'esdc-ec' }, {}));
    add('no kid', await raw({ alg: 'EdDSA', typ: 'job-match+jwt' }, {}));
    add('payload not JSON', await raw(typ, 'nope'));
    add('no event_id', await raw(typ, { iss: 'ca.esdc', value_sha256: jobMatchValueSha256(value) }));
    add('empty event_id', await raw(typ, { iss: 'ca.esdc', event_id: '', value_sha256: jobMatchValueSha256(value) }));
    const [h, p, s] = good.split('.');
    add('signature truncated', `${h}.${p}.${s.slice(0, 40)}`);
    add('signature empty', `${h}.${p}.`);
    add('payload swapped', `${h}.${Buffer.from(JSON.stringify({ iss: 'ca.esdc', event_id: 'evt-9', value_sha256: jobMatchValueSha256(value) })).toString('base64url')}.${s}`);
    add('five parts', `${good}.x.y`);
  });

  it('gives the same answer as verifyJobMatchSignature for every case', async () => {
    const verifier = new JobMatchVerifier(dir);
    for (const c of cases) {
      const expected = await verifyJobMatchSignature({ agency: c.agency, signature: c.signature, value: c.value }, dir);
      const actual = verifier.verify({ agency: c.agency, signature: c.signature, valueSha256: jobMatchValueSha256(c.value) });
      expect({ name: c.name, ...actual }).toEqual({ name: c.name, ...expected });
    }
    expect(verifier.verify({ agency: 'ca.esdc', signature: cases[0].signature, valueSha256: jobMatchValueSha256(value) })).toMatchObject({ ok: true, eventId: 'evt-0001' });
  });

  it('imports a key once per (agency, kid) until cleared, and then sees the reloaded registry', () => {
    const verifier = new JobMatchVerifier(dir);
    const input = { agency: 'ca.esdc', signature: cases[0].signature, valueSha256: jobMatchValueSha256(value) };
    lookups = 0;
    for (let i = 0; i < 5; i++) expect(verifier.verify(input).ok).toBe(true);
    expect(lookups).toBe(1);
    const active = keys['ca.esdc']['esdc-ed'];
    keys['ca.esdc']['esdc-ed'] = { ...active, status: 'revoked' };
    expect(verifier.verify(input).ok).toBe(true); // cached until the registry reload clears it
    verifier.clear();
    expect(verifier.verify(input)).toMatchObject({ ok: false, code: 'unknown_key', detail: 'key is revoked' });
    keys['ca.esdc']['esdc-ed'] = active;
  });
});
