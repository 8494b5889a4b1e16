import { createHmac } from 'node:crypto';
import { verifyResponse } from '@passerelle/client';
import {
  createTestDatabase,
  createTestRegistry,
  queryAsOwner,
  startFakeLedger,
  startTestGateway,
  type FakeLedger,
  type TestDatabase,
  type TestGateway,
  type TestRegistry,
} from '@passerelle/testing';
import { b64u, craftSignature, GATEWAY_INFO, newJti, post, sha256b64u } from './helpers';

/**
 * The signed exchange against the real built gateway, a real database and a fake Ledger over
 * real gRPC: every contract refusal code, the replay guard across two processes, key revocation
 * by SIGHUP, the gateway's response signature, and an audit entry for every attempt.
 */
describe('signed exchange (CONTRACT.md §3)', () => {
  let db: TestDatabase;
  let ledger: FakeLedger;
  let registry: TestRegistry;
  let gw: TestGateway;
  let gw2: TestGateway;

  beforeAll(async () => {
    [db, ledger, registry] = await Promise.all([
      createTestDatabase('exchange'),
      startFakeLedger(),
      createTestRegistry({
        agencies: [
          { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC', extraKeys: [{ status: 'retired' }, { status: 'active' }, { alg: 'ES256', status: 'active' }] },
          { id: 'ca.esdc', roles: ['CONSUMER', 'PUBLISHER'] },
          { id: 'ops.audit', roles: ['OPERATOR'] },
        ],
      }),
    ]);
    gw = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: ledger.url });
    // A second process on the same database (and keys): the replay guard must hold across both.
    gw2 = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: ledger.url, secretsDir: gw.secretsDir });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([gw?.stop(), gw2?.stop()]);
    await ledger?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  const mifiKeys = () => [...registry.keys.values()].filter((k) => k.agency === 'qc.mifi');
  const mifi = () => registry.activeKey('qc.mifi');
  const gatewayId = () => registry.document.gatewayId;

  /** Sends and returns the response plus the one ledger entry it produced. */
  async function attempt(signature: string | undefined, opts: { body?: string; path?: string; url?: string } = {}) {
    const before = ledger.entries.length;
    const res = await post(opts.url ?? gw.url, signature, opts.body, opts.path);
    expect(ledger.entries.length).toBe(before + 1); // appended before the answer left
    return { ...res, entry: ledger.entries[before] };
  }

  async function expectRefused(signature: string | undefined | Promise<string>, code: string, opts: Parameters<typeof attempt>[1] = {}) {
    const res = await attempt(await signature, opts);
    expect({ status: res.status, code: res.json?.error?.code }).toEqual({ status: 401, code });
    expect(res.json?.error?.message).toEqual(expect.any(String));
    expect(res.gatewaySignature).toBeNull();
    expect(res.entry).toMatchObject({ decision: 'DENY', reason: code, requestSha256: sha256b64u(opts.body ?? GATEWAY_INFO), subjects: [] });
    return res;
  }

  it('answers a verified request with a gateway signature that verifies against the JWKS, naming its ledger entry', async () => {
    const client = registry.client('qc.mifi', gw.url);
    const res = await client.graphql<{ data: { gatewayInfo: { contractVersion: string } } }>('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS');
    expect(res.status).toBe(200);
    expect(res.json.data.gatewayInfo.contractVersion).toBe('v1');
    expect(res.auditSeq).toEqual(expect.any(Number));
    expect(ledger.entries[res.auditSeq!]).toMatchObject({ agency: 'qc.mifi', kid: mifi().kid, jti: res.jti, purpose: 'STATISTICS', decision: 'PERMIT', reason: 'ok', operation: 'graphql:gatewayInfo', responseSha256: sha256b64u(res.body) });
    // independently, with the published JWKS
    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as import('jose').JSONWebKeySet;
    const claims = await verifyResponse({ jwks, agency: 'qc.mifi', expectedReqJti: res.jti, body: res.body, signatureHeader: res.headers.get('x-gateway-signature'), gatewayId: gatewayId() });
    expect(claims).toMatchObject({ iss: gatewayId(), aud: 'qc.mifi', req_jti: res.jti, audit_seq: res.auditSeq });
  });

  it('accepts ES256 keys too', async () => {
    const es = mifiKeys().find((k) => k.alg === 'ES256')!;
    const res = await registry.client('qc.mifi', gw.url, es).graphql('{ gatewayInfo { contractVersion } }', undefined, 'PROVISION');
    expect(res.status).toBe(200);
    expect(res.auditSeq).toEqual(expect.any(Number));
  });

  it('refuses a request without signature: missing_signature', () => expectRefused(undefined, 'missing_signature'));

  it('refuses garbage and wrong types: malformed_signature', async () => {
    await expectRefused('not-a-jws', 'malformed_signature');
    await expectRefused(await craftSignature({ key: mifi(), gatewayId: gatewayId(), header: { typ: 'JWT' } }), 'malformed_signature');
    await expectRefused(await craftSignature({ key: mifi(), gatewayId: gatewayId(), claims: { jti: 'short' } }), 'malformed_signature');
  });

  it('refuses exp - iat over 300 s as malformed_signature', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await craftSignature({ key: mifi(), gatewayId: gatewayId(), claims: { iat: now, exp: now + 301 } }), 'malformed_signature');
  });

  it('refuses alg none and HS256 keyed with the public key: algorithm_not_allowed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'qc.mifi', aud: gatewayId(), iat: now, exp: now + 60, jti: newJti(), htm: 'POST', htu: '/graphql', purpose: 'STATISTICS', body_sha256: sha256b64u(GATEWAY_INFO) };
    await expectRefused(`${b64u({ alg: 'none', kid: mifi().kid, typ: 'agency-request+jwt' })}.${b64u(claims)}.`, 'algorithm_not_allowed');
    const signingInput = `${b64u({ alg: 'HS256', kid: mifi().kid, typ: 'agency-request+jwt' })}.${b64u(claims)}`;
    const mac = createHmac('sha256', JSON.stringify(mifi().publicJwk)).update(signingInput).digest('base64url');
    await expectRefused(`${signingInput}.${mac}`, 'algorithm_not_allowed');
  });

  it('refuses a kid no agency owns: unknown_key', () => expectRefused(craftSigned({ header: { kid: 'nobody-2026-01' } }), 'unknown_key'));

  it('refuses a retired key: revoked_key', async () => {
    const retired = mifiKeys().find((k) => k.publicJwk.status === 'retired')!;
    const res = await expectRefused(await craftSignature({ key: retired, gatewayId: gatewayId() }), 'revoked_key');
    expect(res.json?.error?.message).toMatch(/retired/);
  });

  it('refuses a signature by a key of another agency: bad_signature', () =>
    expectRefused(craftSigned({ signWith: registry.activeKey('ca.esdc').privateJwk }), 'bad_signature'));

  it('refuses claims changed after signing: bad_signature', async () => {
    const [h, , s] = (await craftSignature({ key: mifi(), gatewayId: gatewayId() })).split('.');
    const now = Math.floor(Date.now() / 1000);
    const forged = { iss: 'qc.mifi', aud: gatewayId(), iat: now, exp: now + 60, jti: newJti(), htm: 'POST', htu: '/graphql', purpose: 'JOB_MATCHING', body_sha256: sha256b64u(GATEWAY_INFO) };
    await expectRefused(`${h}.${b64u(forged)}.${s}`, 'bad_signature');
  });

  it('refuses iss other than the key owner: issuer_mismatch', async () => {
    const res = await expectRefused(await craftSigned({ claims: { iss: 'ca.esdc' } }), 'issuer_mismatch');
    expect(res.entry).toMatchObject({ agency: 'qc.mifi', kid: mifi().kid }); // attributable: the signature verified
  });

  it('refuses another audience: audience_mismatch', () => expectRefused(craftSigned({ claims: { aud: 'some-other-gateway' } }), 'audience_mismatch'));

  it('refuses an expired signature: expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await craftSigned({ claims: { iat: now - 200, exp: now - 31 } }), 'expired');
  });

  it('refuses iat 31 s in the future: not_yet_valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await craftSigned({ claims: { iat: now + 31, exp: now + 91 } }), 'not_yet_valid');
  });

  it('refuses an unknown purpose: unknown_purpose', () => expectRefused(craftSigned({ claims: { purpose: 'CURIOSITY' } }), 'unknown_purpose'));

  it('refuses a path changed after signing: method_or_path_mismatch', () =>
    expectRefused(craftSigned({ path: '/graphql?debug=1' }), 'method_or_path_mismatch'));

  it('refuses a body changed after signing: body_digest_mismatch', async () => {
    const signature = await craftSigned({});
    await expectRefused(signature, 'body_digest_mismatch', { body: JSON.stringify({ query: '{ gatewayInfo { contractVersion } } ' }) });
  });

  it('refuses the same jti twice, also on a second gateway process: replayed_request', async () => {
    const signature = await craftSigned({});
    expect((await attempt(signature)).status).toBe(200);
    await expectRefused(signature, 'replayed_request');
    await expectRefused(signature, 'replayed_request', { url: gw2.url });
    // and concurrently on both processes: exactly one wins
    const fresh = await craftSigned({});
    const results = await Promise.all([post(gw.url, fresh), post(gw2.url, fresh), post(gw.url, fresh), post(gw2.url, fresh)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401]);
    const rows = await queryAsOwner<{ n: string }>(db.url, 'SELECT count(*) AS n FROM agency_request_jtis WHERE agency = $1', ['qc.mifi']);
    expect(Number(rows[0].n)).toBeGreaterThanOrEqual(2);
  });

  it('answers 400 for a signed body that is not JSON, and records it', async () => {
    const body = '{"query": ';
    const res = await attempt(await craftSigned({ body }), { body });
    expect(res.status).toBe(400);
    expect(res.json?.error?.code).toBe('malformed_json');
    expect(res.entry).toMatchObject({ decision: 'DENY', reason: 'malformed_json', agency: 'qc.mifi' });
  });

  it('signs the audit routes too (GET digests the empty string), and audits a 404 there', async () => {
    const before = ledger.entries.length;
    const unsigned = await fetch(`${gw.url}/audit/sth`);
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('missing_signature');
    const res = await registry.client('ops.audit', gw.url).get('/audit/definitely-not-a-route', 'AUDIT_REVIEW');
    expect(res.status).toBe(404);
    expect(ledger.entries.slice(before)).toEqual([
      expect.objectContaining({ decision: 'DENY', reason: 'missing_signature', operation: 'rest:GET /audit/sth', requestSha256: sha256b64u('') }),
      expect.objectContaining({ decision: 'DENY', reason: 'http_404', agency: 'ops.audit', purpose: 'AUDIT_REVIEW' }),
    ]);
  });

  it('withholds the answer with 503 audit_unavailable when the ledger append fails', async () => {
    ledger.failAppends = true;
    try {
      const res = await post(gw.url, await craftSigned({}));
      expect(res.status).toBe(503);
      expect(res.json?.error?.code).toBe('audit_unavailable');
      expect(res.text).not.toContain('contractVersion');
      expect(res.gatewaySignature).toBeNull();
    } finally {
      ledger.failAppends = false;
    }
  });

  it('publishes the JWKS unsigned', async () => {
    const res = await fetch(`${gw.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('stops accepting a key revoked in the registry file after SIGHUP, without a restart', async () => {
    const second = mifiKeys().find((k) => k.publicJwk.status === 'active' && k.kid !== mifi().kid && k.alg === 'EdDSA')!;
    const client = registry.client('qc.mifi', gw.url, second);
    expect((await client.graphql('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS')).status).toBe(200);
    const doc = structuredClone(registry.document);
    const agency = doc.agencies.find((a) => a.id === 'qc.mifi')!;
    agency.keys = agency.keys.map((k) => (k.kid === second.kid ? { ...k, status: 'revoked' as const } : k));
    await registry.write(doc);
    const reloadsBefore = gw.app.lines.filter((l) => l.includes('registry reloaded')).length;
    gw.app.proc.kill('SIGHUP');
    for (let i = 0; i < 100 && gw.app.lines.filter((l) => l.includes('registry reloaded')).length === reloadsBefore; i++) await new Promise((r) => setTimeout(r, 50));
    await expectRefused(await craftSignature({ key: second, gatewayId: gatewayId() }), 'revoked_key');
    // the other keys still work, and the process kept running
    expect((await registry.client('qc.mifi', gw.url).graphql('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS')).status).toBe(200);
  });

  it('keeps the registry in force when the edited file is invalid', async () => {
    const fs = await import('node:fs/promises');
    await fs.writeFile(registry.file, '{ "gatewayId": ');
    gw.app.proc.kill('SIGHUP');
    for (let i = 0; i < 100 && !gw.app.lines.some((l) => l.includes('registry reload refused')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(gw.app.lines.some((l) => l.includes('registry reload refused'))).toBe(true);
    expect((await registry.client('qc.mifi', gw.url).graphql('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS')).status).toBe(200);
    await registry.write(registry.document);
  });

  it('never logs a signature or key material', () => {
    const all = [...gw.app.lines, ...gw2.app.lines].join('\n');
    expect(all).not.toMatch(/"d":"/);
    expect(all).not.toContain(mifi().privateJwk.d as string);
  });

  function craftSigned(o: { claims?: Record<string, unknown>; header?: Record<string, unknown>; path?: string; body?: string; signWith?: import('jose').JWK }) {
    return craftSignature({ key: mifi(), gatewayId: gatewayId(), ...o });
  }
});
