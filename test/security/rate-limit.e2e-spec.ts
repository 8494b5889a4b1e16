import { createTestDatabase, createTestRegistry, startTestGateway, startTrustStack, type TestDatabase, type TestGateway, type TestRegistry, type TrustStack } from '@passerelle/testing';

const INFO = '{ gatewayInfo { contractVersion } }';
const LIMIT = 5;

async function sequentially<T>(n: number, send: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await send());
  return out;
}

/**
 * Per-agency rate limits from the registry (agencies[].rateLimit.requestsPerMinute), enforced
 * right after the signature verifies: 429 rate_limited with Retry-After, a DENY ledger entry,
 * other agencies unaffected, and the limit follows a registry reload (SIGHUP).
 */
describe('rate limits per agency', () => {
  let db: TestDatabase;
  let stack: TrustStack;
  let registry: TestRegistry;
  let gw: TestGateway;

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('ratelimit'),
      createTestRegistry({ agencies: [{ id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'] }, { id: 'ca.esdc', roles: ['CONSUMER'] }] }),
    ]);
    await registry.write({
      ...registry.document,
      agencies: registry.document.agencies.map((a) => (a.id === 'qc.mifi' ? { ...a, rateLimit: { requestsPerMinute: LIMIT } } : a)),
    });
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
    gw = stack.gateway;
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  it(`lets ${LIMIT} requests a minute through, answers the next 429 rate_limited with Retry-After, and audits it`, async () => {
    const mifi = registry.client('qc.mifi', gw.url);
    const ok = await sequentially(LIMIT, () => mifi.graphql(INFO, undefined, 'STATISTICS'));
    expect(ok.map((r) => `${r.status} ${r.body.slice(0, 300)}`)).toEqual(Array(LIMIT).fill(expect.stringMatching(/^200 /)));
    const before = (await stack.ledgerEntries()).length;
    const refused = await mifi.graphql(INFO, undefined, 'STATISTICS');
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/5 request\(s\) per minute/) } });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(12);
    expect(refused.headers.get('x-gateway-signature')).toBeNull();
    // recorded before the 429 left: the real ledger holds it now
    const after = await stack.ledgerEntries();
    expect(after.length).toBe(before + 1);
    expect(after[before]).toMatchObject({ agency: 'qc.mifi', decision: 'DENY', reason: 'rate_limited', operation: 'graphql:gatewayInfo' });
  });

  it('does not limit an agency without a rateLimit, even while another one is limited', async () => {
    const esdc = registry.client('ca.esdc', gw.url);
    const res = await sequentially(30, () => esdc.graphql(INFO, undefined, 'STATISTICS'));
    expect(res.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body.slice(0, 300)}`)).toEqual([]);
    expect((await registry.client('qc.mifi', gw.url).graphql(INFO, undefined, 'STATISTICS')).status).toBe(429);
  });

  it('takes a new limit from a registry reload', async () => {
    await registry.write({
      ...registry.document,
      agencies: registry.document.agencies.map((a) => (a.id === 'qc.mifi' ? { ...a, rateLimit: { requestsPerMinute: 600 } } : a)),
    });
    gw.app.proc.kill('SIGHUP');
    const mifi = registry.client('qc.mifi', gw.url);
    const deadline = Date.now() + 60_000; // the reload is waited for by its effect; only a hang fails
    let status = 0;
    // at 600 a minute the emptied bucket refills one token every 100 ms
    while (Date.now() < deadline && status !== 200) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await mifi.graphql(INFO, undefined, 'STATISTICS')).status;
    }
    expect(status).toBe(200);
  });
});

/**
 * A fleet: two gateways on one database share each agency's bucket (agency_rate_buckets), so
 * an agency limited to N a minute gets N from both together, not N from each. The only slack
 * is the bucket's own refill while the burst lasts (N per minute of it), computed from the
 * measured duration, so the bound holds however slow the machine is.
 */
describe('rate limits per agency across gateways', () => {
  const FLEET_LIMIT = 10;
  const SENT_PER_GATEWAY = 15;
  let db: TestDatabase;
  let stack: TrustStack;
  let registry: TestRegistry;
  let second: TestGateway;

  beforeAll(async () => {
    [db, registry] = await Promise.all([createTestDatabase('ratefleet'), createTestRegistry({ agencies: [{ id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'] }] })]);
    await registry.write({ ...registry.document, agencies: registry.document.agencies.map((a) => ({ ...a, rateLimit: { requestsPerMinute: FLEET_LIMIT } })) });
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
    second = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: stack.consentAudit.url, secretsDir: stack.secretsDir });
  }, 90_000);

  afterAll(async () => {
    await second?.stop();
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  it(`shared limits: an agency limited to ${FLEET_LIMIT} a minute gets ${FLEET_LIMIT} from two gateways together, not ${FLEET_LIMIT} from each`, async () => {
    const clients = [registry.client('qc.mifi', stack.gateway.url), registry.client('qc.mifi', second.url)];
    const started = Date.now();
    // both gateways at once, several requests in flight on each (the store batches one event-loop turn)
    const answers = await Promise.all(clients.map((c) => Promise.all(Array.from({ length: SENT_PER_GATEWAY }, () => c.graphql(INFO, undefined, 'STATISTICS')))));
    const elapsedMs = Date.now() - started;
    const statuses = answers.flat().map((r) => r.status);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    const passed = statuses.filter((s) => s === 200).length;
    const refill = Math.floor((elapsedMs * FLEET_LIMIT) / 60_000);
    expect(passed).toBeGreaterThanOrEqual(FLEET_LIMIT);
    expect(passed).toBeLessThanOrEqual(FLEET_LIMIT + refill);
    // and each refusal is in the ledger, whichever gateway answered it
    const refusals = (await stack.ledgerEntries()).filter((e) => e.reason === 'rate_limited');
    expect(refusals).toHaveLength(2 * SENT_PER_GATEWAY - passed);
  });
});
