import { compactVerify, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { createHash } from 'node:crypto';
import { checkResponseSignature } from './api';
import { utf8 } from './bytes';
import { checkTreeHead } from './ledger';
import { decodeCompact, importAgencyKey, signAgencyRequest, verifyGatewayJws, type Jwks } from './jws';

async function privateJwk(alg: 'EdDSA' | 'ES256', kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined, extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg };
}

async function gateway() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwks: Jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'gw-1', alg: 'EdDSA' } as Jwks['keys'][number]] };
  const sign = (typ: string, claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'gw-1', typ }).sign(privateKey);
  return { jwks, sign, privateKey };
}

describe('signing requests in the browser (docs/contract.md §3)', () => {
  it.each(['EdDSA', 'ES256'] as const)('signs a %s request that jose verifies, with every claim of §3', async (alg) => {
    const jwk = await privateJwk(alg, 'audit-2026-01');
    const key = await importAgencyKey(JSON.stringify(jwk));
    expect(key.privateKey.extractable).toBe(false);
    const { jws, claims } = await signAgencyRequest(key, {
      agency: 'ops.audit',
      gatewayId: 'passerelle',
      method: 'get',
      path: '/audit/entries?start=0&end=9',
      body: '',
      purpose: 'AUDIT_REVIEW',
      now: 1_800_000_000,
    });
    const { d: _d, ...pub } = jwk;
    const { payload, protectedHeader } = await compactVerify(jws, await importJWK(pub, alg));
    expect(protectedHeader).toEqual({ alg, kid: 'audit-2026-01', typ: 'agency-request+jwt' });
    const decoded = JSON.parse(Buffer.from(payload).toString('utf8'));
    expect(decoded).toEqual(claims);
    expect(decoded).toMatchObject({
      iss: 'ops.audit',
      aud: 'passerelle',
      iat: 1_800_000_000,
      exp: 1_800_000_060,
      htm: 'GET',
      htu: '/audit/entries?start=0&end=9',
      purpose: 'AUDIT_REVIEW',
      body_sha256: createHash('sha256').update('').digest('base64url'),
    });
    expect(decoded.jti).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('digests the exact body bytes of a POST', async () => {
    const key = await importAgencyKey(JSON.stringify(await privateJwk('EdDSA', 'k')));
    const body = JSON.stringify({ query: '{ signedTreeHead { treeSize } }', variables: { é: 'ü' } });
    const { claims } = await signAgencyRequest(key, { agency: 'ops.audit', gatewayId: 'g', method: 'POST', path: '/graphql', body, purpose: 'AUDIT_REVIEW' });
    expect(claims.body_sha256).toBe(createHash('sha256').update(Buffer.from(body, 'utf8')).digest('base64url'));
  });

  it('refuses a public key, an unknown curve and a file that is not JSON', async () => {
    const { d: _d, ...pub } = await privateJwk('EdDSA', 'k');
    await expect(importAgencyKey(JSON.stringify(pub))).rejects.toMatchObject({ code: 'not_private' });
    await expect(importAgencyKey('{"kty":"RSA","kid":"x","d":"AA"}')).rejects.toMatchObject({ code: 'unsupported' });
    await expect(importAgencyKey('not json')).rejects.toMatchObject({ code: 'not_json' });
  });
});

describe('checking the gateway signatures', () => {
  it('verifies a response signature bound to the jti and body, and refuses a changed body', async () => {
    const gw = await gateway();
    const body = utf8('{"tree_size":3}');
    const claims = { iss: 'passerelle', aud: 'ops.audit', iat: Math.floor(Date.now() / 1000), req_jti: 'j'.repeat(32), body_sha256: createHash('sha256').update(body).digest('base64url'), audit_seq: 42 };
    const header = await gw.sign('gateway-response+jwt', claims);
    const expect_ = { gatewayId: 'passerelle', agency: 'ops.audit', jti: 'j'.repeat(32) };
    expect(await checkResponseSignature(header, body, gw.jwks, expect_)).toEqual({ state: 'verified', kid: 'gw-1', auditSeq: 42 });
    expect(await checkResponseSignature(header, utf8('{"tree_size":4}'), gw.jwks, expect_)).toMatchObject({ state: 'invalid' });
    expect(await checkResponseSignature(header, body, gw.jwks, { ...expect_, jti: 'other' })).toMatchObject({ state: 'invalid' });
    expect(await checkResponseSignature(null, body, gw.jwks, expect_)).toEqual({ state: 'absent' });
  });

  it('verifies a signed tree head and flags a tampered root, a re-signed payload and a wrong typ', async () => {
    const gw = await gateway();
    // The audit log's own key signs tree heads; the gateway's key beside it in the JWKS may not.
    const headSigner = await gateway();
    const responseOnly = await checkTreeHead(await gw.sign('tree-head+jwt', { tree_size: 9, root_hash: createHash('sha256').update('root').digest('base64url'), timestamp: 1 }), gw.jwks);
    expect(responseOnly.verified).toBe(false);
    gw.jwks.keys.push(...headSigner.jwks.keys.map((k) => ({ ...k, kid: 'log-1', signs: 'tree-head+jwt' })));
    gw.sign = (typ, claims) => new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'log-1', typ }).sign(headSigner.privateKey);
    const root = createHash('sha256').update('root').digest('base64url');
    const claims = { tree_size: 9, root_hash: root, timestamp: 1_800_000_000_000 };
    const jws = await gw.sign('tree-head+jwt', claims);
    const good = await checkTreeHead({ ...claims, sth: jws }, gw.jwks);
    expect(good).toMatchObject({ verified: true, treeSize: 9, rootHash: root, problems: [] });
    expect((await checkTreeHead(jws, gw.jwks)).verified).toBe(true);

    const other = createHash('sha256').update('other').digest('base64url');
    const beside = await checkTreeHead({ ...claims, root_hash: other, sth: jws }, gw.jwks);
    expect(beside).toMatchObject({ verified: false, rootHash: other });

    const [h, , s] = jws.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, root_hash: other })).toString('base64url');
    const forged = await checkTreeHead({ sth: `${h}.${forgedPayload}.${s}` }, gw.jwks);
    expect(forged.verified).toBe(false);
    expect(forged.problems.join()).toMatch(/signature/);

    const wrongTyp = await gw.sign('gateway-response+jwt', claims);
    expect((await verifyGatewayJws(wrongTyp, gw.jwks, 'tree-head+jwt')).ok).toBe(false);
    expect(decodeCompact(jws)?.claims).toEqual(claims);
  });
});
