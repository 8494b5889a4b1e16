import fc from 'fast-check';
import type { LedgerEntryJson } from '@passerelle/contracts';
import { createTestDatabase, createTestRegistry, queryAsOwner, startTrustStack, type TestDatabase, type TestGateway, type TestRegistry, type TrustStack } from '@passerelle/testing';
import { b64u, craftSignature, newJti, sha256b64u } from './helpers';

const CONTRACT_CODES = [
  'missing_signature', 'malformed_signature', 'unknown_key', 'revoked_key', 'algorithm_not_allowed', 'bad_signature', 'issuer_mismatch',
  'audience_mismatch', 'expired', 'not_yet_valid', 'replayed_request', 'method_or_path_mismatch', 'body_digest_mismatch', 'unknown_purpose',
];
const RUNS = 5000;
const CONCURRENCY = 16;

/**
 * 5,000 generated malformed signatures and bodies against one real gateway process and the real
 * ledger: never a 5xx, always 401 with a contract code, and one ledger entry per attempt (the
 * per-source limit on unverified requests is raised for this suite; signed-exchange tests it).
 */
describe('signature check under fuzzing', () => {
  let db: TestDatabase;
  let stack: TrustStack;
  let registry: TestRegistry;
  let gw: TestGateway;
  const ledgerFrom = async (seq: number) =>
    (await queryAsOwner<{ canonical: string }>(db.url, 'SELECT canonical FROM ledger_entries WHERE seq >= $1 ORDER BY seq', [seq])).map((r) => JSON.parse(r.canonical) as LedgerEntryJson);

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('exfuzz'),
      createTestRegistry({ agencies: [{ id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], extraKeys: [{ status: 'revoked' }] }, { id: 'ca.esdc', roles: ['CONSUMER'] }] }),
    ]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { LOG_LEVEL: 'warn', GATEWAY_UNVERIFIED_PER_MINUTE: String(10 * RUNS) } });
    gw = stack.gateway;
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  it(`answers ${RUNS} malformed attempts with a contract code, no 5xx, each audited`, async () => {
    const kids = [...registry.keys.keys(), 'nobody', ''];
    const now = Math.floor(Date.now() / 1000);
    const segment = fc.oneof(fc.string({ maxLength: 40 }), fc.base64String({ maxLength: 40 }), fc.jsonValue({ maxDepth: 2 }).map(b64u));
    const claims = fc.record(
      {
        iss: fc.oneof(fc.constantFrom('qc.mifi', 'ca.esdc'), fc.string({ maxLength: 10 })),
        aud: fc.oneof(fc.constant(registry.document.gatewayId), fc.string({ maxLength: 10 })),
        iat: fc.oneof(fc.integer({ min: now - 1000, max: now + 1000 }), fc.string({ maxLength: 5 })),
        exp: fc.integer({ min: now - 1000, max: now + 1500 }),
        jti: fc.oneof(fc.constant(newJti()), fc.string({ maxLength: 20 })),
        htm: fc.constantFrom('POST', 'GET', 'post'),
        htu: fc.constantFrom('/graphql', '/graphql?x', '/audit/sth'),
        purpose: fc.oneof(fc.constantFrom('STATISTICS', 'JOB_MATCHING'), fc.string({ maxLength: 8 })),
        body_sha256: fc.oneof(fc.constant(sha256b64u('x')), fc.string({ maxLength: 50 })),
      },
      { requiredKeys: [] },
    );
    const header = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(segment, segment, segment).map((p) => p.join('.')),
      fc.tuple(fc.constantFrom('EdDSA', 'ES256', 'none', 'HS256', 'RS256'), fc.constantFrom(...kids), fc.constantFrom('agency-request+jwt', 'JWT'), claims, fc.base64String({ maxLength: 90 })).map(
        ([alg, kid, typ, c, sig]) => `${b64u({ alg, kid, typ })}.${b64u(c)}.${sig.replace(/=/g, '')}`,
      ),
    );
    // Genuinely signed by a registered key but with a bad claim: exercises the later checks.
    const signedButWrong = claims.map((c) => ({ signed: c }));
    const attempt = fc.record({
      header: fc.oneof({ weight: 3, arbitrary: header }, { weight: 1, arbitrary: signedButWrong }, { weight: 1, arbitrary: fc.constant(undefined) }),
      body: fc.oneof(fc.constant('{"query":"{ gatewayInfo { contractVersion } }"}'), fc.string({ maxLength: 100 }), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))),
      path: fc.constantFrom('/graphql', '/audit/sth', '/audit/entries?start=0&end=5'),
      method: fc.constantFrom('POST', 'GET'),
    });
    const samples = fc.sample(attempt, { numRuns: RUNS, seed: 20260101 });
    const mifi = registry.activeKey('qc.mifi');
    const before = (await queryAsOwner<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM ledger_entries'))[0].n;
    const unexpected: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < samples.length; i = next++) {
        const s = samples[i];
        let sig: string | undefined;
        if (s.header && typeof s.header === 'object') {
          // keep at least one claim wrong so that none of these is a valid request
          sig = await craftSignature({ key: mifi, gatewayId: registry.document.gatewayId, method: s.method, path: s.path, body: s.body, claims: { ...s.header.signed, aud: 'not-this-gateway' } });
        } else sig = s.header;
        const headers: Record<string, string> = {};
        if (sig !== undefined) {
          try {
            new Headers({ 'x-agency-signature': sig });
            headers['x-agency-signature'] = sig;
          } catch {
            headers['x-agency-signature'] = encodeURIComponent(sig);
          }
        }
        if (s.method === 'POST') headers['content-type'] = 'application/json';
        const res = await fetch(gw.url + s.path, { method: s.method, headers, body: s.method === 'POST' ? s.body : undefined });
        const text = await res.text();
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        } catch {
          code = undefined;
        }
        if (res.status !== 401 || !code || !CONTRACT_CODES.includes(code)) unexpected.push(`${res.status} ${text.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(unexpected.slice(0, 5)).toEqual([]);
    const entries = await ledgerFrom(before);
    expect(entries.length).toBe(RUNS);
    expect(entries.filter((e) => !(e.decision === 'DENY' && CONTRACT_CODES.includes(e.reason))).slice(0, 3)).toEqual([]);
    expect(gw.app.proc.exitCode).toBeNull();
  }, 90_000);
});
