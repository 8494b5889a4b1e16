import { signRequest } from '@passerelle/client';
import { createTestDatabase, createTestRegistry, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';
import { sleep } from './helpers';

const BODY = JSON.stringify({ query: '{ gatewayInfo { contractVersion } }' });
/** Attempts are made until one falls within a second; only a machine stalled this long fails the test. */
const MEASURE_FOR_MS = 150_000;

/**
 * Clock skew between agency and gateway at the edges of the 30 s window (docs/contract.md §3):
 * iat 29 s ahead is accepted, 31 s ahead is not_yet_valid; exp 29 s behind is accepted, 31 s
 * behind is expired. The gateway reads its clock in whole seconds while the request is in
 * flight, so a measurement counts only when signing and answer fall in the same wall-clock
 * second (then the gateway read that second too); one that straddles a boundary is sent again
 * with a fresh jti, for as long as it takes (a loaded machine needs more attempts, never fails
 * the test). Each answer is checked against the one row it added to the real ledger.
 */
describe('clock skew at the edges of the 30 s window', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;

  beforeAll(async () => {
    [db, registry] = await Promise.all([createTestDatabase('chaosskew'), createTestRegistry({ agencies: [{ id: 'qc.mifi', roles: ['CONSUMER'] }] })]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  async function sendSkewed(skew: { iat?: number; exp?: number }) {
    let attempts = 0;
    for (const deadline = Date.now() + MEASURE_FOR_MS; Date.now() < deadline; attempts++) {
      // start early in a second, so that most attempts finish within it
      while (Date.now() % 1000 > 200) await sleep(5);
      const now = Math.floor(Date.now() / 1000);
      // ttl 60 s; iat chosen so that iat or exp lands exactly at the wanted offset from the gateway's now
      const iat = skew.iat !== undefined ? now + skew.iat : now + (skew.exp ?? 0) - 60;
      const key = registry.activeKey('qc.mifi');
      const rowsBefore = (await stack.ledgerEntries()).length;
      const signed = await signRequest({ agency: 'qc.mifi', kid: key.kid, privateKey: key.privateJwk, alg: key.alg, gatewayId: registry.document.gatewayId, method: 'POST', path: '/graphql', body: BODY, purpose: 'STATISTICS', now: iat, ttlSeconds: 60 });
      const res = await fetch(`${stack.gateway.url}/graphql`, { method: 'POST', headers: signed.headers, body: signed.body });
      const json = (await res.json()) as { error?: { code: string } };
      if (Math.floor(Date.now() / 1000) !== now) continue; // straddled a second boundary: not a measurement at the edge
      // the answer left after its row was committed: the real ledger holds exactly one more row now
      // (found by position: a refused request's jti is not trusted, so not recorded)
      const rows = await stack.ledgerEntries();
      return { status: res.status, code: json.error?.code ?? 'ok', added: rows.length - rowsBefore, entry: rows.at(-1) };
    }
    throw new Error(`no attempt of ${attempts} in ${MEASURE_FOR_MS / 1000} s was answered within the second it was signed in: this machine stalls too long to measure a 1 s edge`);
  }

  it.each([
    ['iat 29 s in the future', { iat: 29 }, 200, 'ok'],
    ['iat 31 s in the future', { iat: 31 }, 401, 'not_yet_valid'],
    ['exp 29 s in the past', { exp: -29 }, 200, 'ok'],
    ['exp 31 s in the past', { exp: -31 }, 401, 'expired'],
  ] as const)('%s: answered as the contract says, and audited', async (_name, skew, status, code) => {
    const r = await sendSkewed(skew);
    expect({ status: r.status, code: r.code, added: r.added }).toEqual({ status, code, added: 1 });
    expect(r.entry).toMatchObject({ agency: 'qc.mifi', decision: status === 200 ? 'PERMIT' : 'DENY', reason: code });
  }, MEASURE_FOR_MS + 30_000);
});
