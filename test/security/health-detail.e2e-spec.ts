import { createTestDatabase, createTestRegistry, freePort, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';

/**
 * Issue 14, hole 10: the gateway's anonymous /health told any caller its dependencies' error
 * text (hosts, ports, driver messages). Now it says up or down; the detail is on the probe port.
 */
describe('the gateway\'s public /health tells anonymous callers only up or down; detail only on the probe port', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  let probeUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase('health');
    registry = await createTestRegistry();
    const probePort = await freePort();
    probeUrl = `http://127.0.0.1:${probePort}`;
    // A broker nobody listens on: the Kafka check fails with connection error text.
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { KAFKA_BROKERS: '127.0.0.1:9', GATEWAY_PROBE_PORT: String(probePort) } });
  });

  afterAll(async () => {
    await stack?.stop();
    await registry?.cleanup();
    await db?.drop();
  });

  it('an anonymous caller learns that a dependency is down, never which one or its error text', async () => {
    const res = await fetch(`${stack.gateway.url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'down' });
  });

  it('the probe port names the failing dependency and its error, for operators', async () => {
    const res = await fetch(`${probeUrl}/health`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; components: Record<string, { status: string; detail?: string }> };
    expect(body.status).toBe('down');
    expect(body.components.database).toEqual({ status: 'up' });
    expect(body.components.kafka.status).toBe('down');
    expect(body.components.kafka.detail).toEqual(expect.any(String));
    expect((await fetch(`${probeUrl}/metrics`)).status).toBe(200);
  });
});
