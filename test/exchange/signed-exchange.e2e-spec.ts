import { createHmac } from 'node:crypto';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { verifyResponse } from '@passerelle/client';
import type { LedgerEntryJson } from '@passerelle/contracts';
import {
  createTestDatabase,
  createTestRegistry,
  queryAsOwner,
  startTestGateway,
  startTrustStack,
  type TestDatabase,
  type TestGateway,
  type TestRegistry,
  type TrustStack,
} from '@passerelle/testing';
import { ReplayStore } from '../../apps/gateway/src/exchange/replay-store';
import { b64u, craftSignature, GATEWAY_INFO, newJti, post, sha256b64u } from './helpers';

/**
 * The signed exchange against the real built gateway, the real consent-audit and its ledger on
 * a real database: every contract refusal code, the replay guard across two processes, key
 * revocation by SIGHUP, the gateway's response signature, and an audit entry for every attempt,
 * read back from the ledger table itself.
 */
describe('signed exchange (docs/contract.md §3)', () => {
  let db: TestDatabase;
  let stack: TrustStack;
  let registry: TestRegistry;
  let gw: TestGateway;
  let gw2: TestGateway;

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('exchange'),
      createTestRegistry({
        agencies: [
          { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC', extraKeys: [{ status: 'retired' }, { status: 'active' }, { alg: 'ES256', status: 'active' }] },
          { id: 'ca.esdc', roles: ['CONSUMER', 'PUBLISHER'] },
          { id: 'ca.ircc', roles: ['CONSUMER'] },
          { id: 'ops.audit', roles: ['OPERATOR'] },
        ],
      }),
    ]);
    // ca.ircc may send 2 requests a minute: enough to see whose quota a replay burns.
    const doc = structuredClone(registry.document);
    Object.assign(doc.agencies.find((a) => a.id === 'ca.ircc')!, { rateLimit: { requestsPerMinute: 2 } });
    await registry.write(doc);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
    gw = stack.gateway;
    // A second process on the same database (and keys): the replay guard must hold across both.
    gw2 = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: stack.consentAudit.url, secretsDir: stack.secretsDir });
  }, 60_000);

  afterAll(async () => {
    await gw2?.stop();
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  /** The ledger's keyed request digest (docs/ledger.md "request_sha256"). */
  const keyedDigest = (body: string) => {
    const key = Buffer.from(fs.readFileSync(path.join(stack.secretsDir, 'request-digest.key'), 'utf8').trim(), 'base64url');
    return createHmac('sha256', key).update(body).digest('base64url');
  };
  const ledgerSize = async () => (await queryAsOwner<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM ledger_entries'))[0].n;
  const entriesFrom = async (seq: number): Promise<LedgerEntryJson[]> =>
    (await queryAsOwner<{ canonical: string }>(db.url, 'SELECT canonical FROM ledger_entries WHERE seq >= $1 ORDER BY seq', [seq])).map((r) => JSON.parse(r.canonical) as LedgerEntryJson);

  const mifiKeys = () => [...registry.keys.values()].filter((k) => k.agency === 'qc.mifi');
  const mifi = () => registry.activeKey('qc.mifi');
  const gatewayId = () => registry.document.gatewayId;

  /** Sends and returns the response plus the one ledger entry it produced. */
  async function attempt(signature: string | undefined, opts: { body?: string; path?: string; url?: string } = {}) {
    const before = await ledgerSize();
    const res = await post(opts.url ?? gw.url, signature, opts.body, opts.path);
    const added = await entriesFrom(before);
    expect(added).toHaveLength(1); // appended before the answer left
    return { ...res, entry: added[0] };
  }

  async function expectRefused(signature: string | undefined | Promise<string>, code: string, opts: Parameters<typeof attempt>[1] = {}) {
    const res = await attempt(await signature, opts);
    expect({ status: res.status, code: res.json?.error?.code }).toEqual({ status: 401, code });
    expect(res.json?.error?.message).toEqual(expect.any(String));
    expect(res.gatewaySignature).toBeNull();
    expect(res.entry).toMatchObject({ decision: 'DENY', reason: code, request_sha256: keyedDigest(opts.body ?? GATEWAY_INFO), subjects: [] });
    return res;
  }

  it('answers a verified request with a gateway signature that verifies against the JWKS, naming its ledger entry', async () => {
    const client = registry.client('qc.mifi', gw.url);
    const res = await client.graphql<{ data: { gatewayInfo: { contractVersion: string } } }>('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS');
    expect(res.status).toBe(200);
    expect(res.json.data.gatewayInfo.contractVersion).toBe('v1');
    expect(res.auditSeq).toEqual(expect.any(Number));
    expect((await entriesFrom(res.auditSeq!))[0]).toMatchObject({ seq: res.auditSeq, agency: 'qc.mifi', kid: mifi().kid, jti: res.jti, purpose: 'STATISTICS', decision: 'PERMIT', reason: 'ok', operation: 'graphql:gatewayInfo', response_sha256: sha256b64u(res.body) });
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

  it('refuses iat more than 30 s in the future: not_yet_valid', async () => {
    // 32, not 31: the gateway reads its clock a moment later, possibly in the next second.
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await craftSigned({ claims: { iat: now + 32, exp: now + 92 } }), 'not_yet_valid');
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
    const before = await ledgerSize();
    const unsigned = await fetch(`${gw.url}/audit/sth`);
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('missing_signature');
    const res = await registry.client('ops.audit', gw.url).get('/audit/definitely-not-a-route', 'AUDIT_REVIEW');
    expect(res.status).toBe(404);
    expect(await entriesFrom(before)).toEqual([
      expect.objectContaining({ decision: 'DENY', reason: 'missing_signature', operation: 'rest:GET /audit/sth', request_sha256: keyedDigest('') }),
      expect.objectContaining({ decision: 'DENY', reason: 'http_404', agency: 'ops.audit', purpose: 'AUDIT_REVIEW' }),
    ]);
  });

  it('withholds the answer with 503 audit_unavailable when the ledger append fails', async () => {
    // The ledger down for real: an owner session holds the table, consent-audit's append waits, the gateway gives up.
    const owner = new Client({ connectionString: db.url });
    await owner.connect();
    await owner.query('BEGIN; LOCK TABLE ledger_entries IN ACCESS EXCLUSIVE MODE');
    try {
      const res = await post(gw.url, await craftSigned({}));
      expect(res.status).toBe(503);
      expect(res.json?.error?.code).toBe('audit_unavailable');
      expect(res.text).not.toContain('contractVersion');
      expect(res.gatewaySignature).toBeNull();
    } finally {
      await owner.query('ROLLBACK');
      await owner.end();
    }
  });

  it('the ledger cannot be brute-forced for client ids: request_sha256 is keyed with a private gateway secret', async () => {
    const body = JSON.stringify({ query: 'mutation($r: [ClaimantInput!]!) { submitClaimants(records: $r) { accepted { index } } }', variables: { r: [{ clientId: 'UCI-12345678' }] } });
    const before = await ledgerSize();
    await post(gw.url, await craftSigned({ body, claims: { purpose: 'PROVISION' } }), body);
    // this request's entries, not whatever follows `before`: the previous test's abandoned append
    // (held behind the lock) may land late, after this test began, on a loaded machine
    const entries = (await entriesFrom(before)).filter((e) => e.purpose === 'PROVISION');
    expect(entries.map((e) => e.reason)).toEqual(['intent', 'ok']);
    for (const entry of entries) {
      expect(entry.request_sha256).toBe(keyedDigest(body));
      expect(entry.request_sha256).not.toBe(sha256b64u(body));
    }
    expect(fs.statSync(path.join(stack.secretsDir, 'request-digest.key')).mode & 0o777).toBe(0o600);
  });

  it('audits a path or a root field longer than the ledger allows under a shortened, hashed name instead of refusing to answer', async () => {
    const longPath = `/audit/${'x'.repeat(300)}`;
    const rest = await registry.client('ops.audit', gw.url).get(longPath, 'AUDIT_REVIEW');
    expect(rest.status).toBe(404);
    const field = `f${'y'.repeat(250)}`;
    const body = JSON.stringify({ query: `{ ${field} }` });
    const gql = await attempt(await craftSigned({ body }), { body });
    expect(gql.status).toBe(400);
    expect((gql.json as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(gql.entry.operation).toMatch(new RegExp(`^graphql:f${'y'.repeat(141)}\\.\\.\\.#[A-Za-z0-9_-]{22}$`));
    const restEntry = (await entriesFrom(rest.auditSeq!))[0];
    expect(restEntry).toMatchObject({ decision: 'DENY', reason: 'http_404', agency: 'ops.audit' });
    expect(restEntry.operation).toMatch(/^rest:GET \/audit\/x+\.\.\.#[A-Za-z0-9_-]{22}$/);
    expect(restEntry.operation.length).toBeLessThanOrEqual(200);
  });

  it("a replayed request never burns the victim agency's rate quota", async () => {
    const ircc = registry.activeKey('ca.ircc');
    const signed = await craftSignature({ key: ircc, gatewayId: gatewayId() });
    expect((await post(gw.url, signed)).status).toBe(200); // the victim's first request (1 of 2)
    for (let i = 0; i < 3; i++) {
      const replay = await post(gw.url, signed);
      expect({ status: replay.status, code: replay.json?.error?.code }).toEqual({ status: 401, code: 'replayed_request' });
    }
    expect((await post(gw.url, await craftSignature({ key: ircc, gatewayId: gatewayId() }))).status).toBe(200); // 2 of 2: still there
    const third = await post(gw.url, await craftSignature({ key: ircc, gatewayId: gatewayId() }));
    expect({ status: third.status, code: third.json?.error?.code }).toEqual({ status: 429, code: 'rate_limited' });
  });

  /**
   * Announces a body over the gateway's limit (Content-Length) and waits for the answer before
   * sending any of it: the gateway refuses on the announced length alone, so nothing races the
   * upload (sending 7 MB while the gateway answers and closes made fetch fail with EPIPE).
   */
  function postOversize(url: string, bytes: number): Promise<{ status: number; json: { error?: { code?: string } } | undefined }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(bytes) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          req.destroy();
          let json;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      });
      req.on('error', reject);
      req.flushHeaders();
    });
  }

  it('unsigned floods: beyond its limit a source gets 429 and aggregate ledger entries, not a row per junk request', async () => {
    const limited = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: stack.consentAudit.url, secretsDir: stack.secretsDir, env: { GATEWAY_UNVERIFIED_PER_MINUTE: '5' } });
    let stopped = false;
    try {
      const before = await ledgerSize();
      const within = [];
      for (let i = 0; i < 5; i++) within.push(await post(limited.url, undefined));
      expect(within.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
      expect(await ledgerSize()).toBe(before + 5); // each refusal within the limit has its own entry
      const beyond = [];
      for (let i = 0; i < 3; i++) beyond.push(await post(limited.url, undefined));
      for (let i = 0; i < 2; i++) beyond.push(await post(limited.url, 'not-a-jws'));
      expect(beyond.map((r) => [r.status, r.json?.error?.code])).toEqual(Array(5).fill([429, 'rate_limited']));
      // Answered before verification (a body over the limit is 413 before any hook sees it) counts against the same source.
      const early = await postOversize(limited.url, 7 * 1024 * 1024);
      expect([early.status, early.json?.error?.code]).toEqual([429, 'rate_limited']);
      // A verified agency behind the same address is not limited by the flood.
      const ok = await registry.client('qc.mifi', limited.url).graphql('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS');
      expect(ok.status).toBe(200);
      expect(await ledgerSize()).toBe(before + 6);
      await limited.stop(); // closes the window: its aggregates are appended
      stopped = true;
      const aggregates = (await entriesFrom(before)).filter((e) => e.operation.startsWith('aggregate:unverified'));
      expect(aggregates.map((e) => [e.decision, e.reason, e.agency, e.request_sha256])).toEqual([
        ['DENY', 'missing_signature', '', ''],
        ['DENY', 'malformed_signature', '', ''],
        ['DENY', 'http_413', '', ''],
      ]);
      expect(aggregates[0].operation).toMatch(/^aggregate:unverified source=127\.0\.0\.1 window=\S+Z\/\S+Z count=3$/);
      expect(aggregates[1].operation).toMatch(/ count=2$/);
    } finally {
      if (!stopped) await limited.stop();
    }
  });

  it("one clock: the replay store asks the gateway's time, so a database clock running ahead cannot free a jti the gateway still accepts", async () => {
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const silent = { debug: () => undefined, warn: () => undefined, error: () => undefined } as unknown as ConstructorParameters<typeof ReplayStore>[1];
      const store = new ReplayStore({ query: async (sql: string, params: unknown[]) => (await pg.query(sql, params)).rows } as unknown as ConstructorParameters<typeof ReplayStore>[0], silent);
      // The gateway's clock is 10 minutes behind the database's: for the gateway this jti is valid for another minute.
      const gatewayNowMs = Date.now() - 600_000;
      const exp = Math.floor(gatewayNowMs / 1000) + 60;
      const jti = newJti();
      expect(await store.firstUse('qc.mifi', jti, exp, gatewayNowMs)).toBe(true);
      expect(await store.firstUse('qc.mifi', jti, exp, gatewayNowMs + 1000)).toBe(false);
      // Once past exp + skew by the gateway's own clock, the jti may be used again (it would be refused as expired anyway).
      expect(await store.firstUse('qc.mifi', jti, exp, (exp + 31) * 1000)).toBe(true);
    } finally {
      await pg.end();
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
    for (let i = 0; i < 1200 && gw.app.lines.filter((l) => l.includes('registry reloaded')).length === reloadsBefore; i++) await new Promise((r) => setTimeout(r, 50));
    await expectRefused(await craftSignature({ key: second, gatewayId: gatewayId() }), 'revoked_key');
    // the other keys still work, and the process kept running
    expect((await registry.client('qc.mifi', gw.url).graphql('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS')).status).toBe(200);
  });

  it('keeps the registry in force when the edited file is invalid', async () => {
    const fs = await import('node:fs/promises');
    await fs.writeFile(registry.file, '{ "gatewayId": ');
    gw.app.proc.kill('SIGHUP');
    for (let i = 0; i < 1200 && !gw.app.lines.some((l) => l.includes('registry reload refused')); i++) await new Promise((r) => setTimeout(r, 50));
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
