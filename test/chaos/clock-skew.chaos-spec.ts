import { signRequest } from '@passerelle/client';
import { createTestDatabase, createTestRegistry, startFakeLedger, startTestGateway, type FakeLedger, type TestDatabase, type TestGateway, type TestRegistry } from '@passerelle/testing';
import { sleep } from './helpers';

const BODY = JSON.stringify({ query: '{ gatewayInfo { contractVersion } }' });

/**
 * Clock skew between agency and gateway at the edges of the 30 s window (CONTRACT.md §3):
 * iat 29 s ahead is accepted, 31 s ahead is not_yet_valid; exp 29 s behind is accepted, 31 s
 * behind is expired. Each request is sent just after a second boundary so that the gateway's
 * clock (whole seconds) reads the same second as the agency's.
 */
describe('clock skew at the edges of the 30 s window', () => {
  let db: TestDatabase;
  let ledger: FakeLedger;
  let registry: TestRegistry;
  let gw: TestGateway;

  beforeAll(async () => {
    [db, ledger, registry] = await Promise.all([createTestDatabase('chaosskew'), startFakeLedger(), createTestRegistry({ agencies: [{ id: 'qc.mifi', roles: ['CONSUMER'] }] })]);
    gw = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: ledger.url });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await ledger?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  async function sendSkewed(skew: { iat?: number; exp?: number }) {
    while (Date.now() % 1000 > 200) await sleep(5);
    const now = Math.floor(Date.now() / 1000);
    // ttl 60 s; iat chosen so that iat or exp lands exactly at the wanted offset from the gateway's now
    const iat = skew.iat !== undefined ? now + skew.iat : now + (skew.exp ?? 0) - 60;
    const key = registry.activeKey('qc.mifi');
    const signed = await signRequest({ agency: 'qc.mifi', kid: key.kid, privateKey: key.privateJwk, alg: key.alg, gatewayId: registry.document.gatewayId, method: 'POST', path: '/graphql', body: BODY, purpose: 'STATISTICS', now: iat, ttlSeconds: 60 });
    const res = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: signed.headers, body: signed.body });
    const json = (await res.json()) as { error?: { code: string } };
    return { status: res.status, code: json.error?.code ?? 'ok', entry: ledger.entries.at(-1) };
  }

  it.each([
    ['iat 29 s in the future', { iat: 29 }, 200, 'ok'],
    ['iat 31 s in the future', { iat: 31 }, 401, 'not_yet_valid'],
    ['exp 29 s in the past', { exp: -29 }, 200, 'ok'],
    ['exp 31 s in the past', { exp: -31 }, 401, 'expired'],
  ] as const)('%s: answered as the contract says, and audited', async (_name, skew, status, code) => {
    const r = await sendSkewed(skew);
    expect({ status: r.status, code: r.code }).toEqual({ status, code });
    expect(r.entry).toMatchObject({ agency: 'qc.mifi', decision: status === 200 ? 'PERMIT' : 'DENY', reason: code });
  });
});
