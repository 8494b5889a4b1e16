import { createTestDatabase, createTestRegistry, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';
import { craftSignature, GATEWAY_INFO, post } from '../exchange/helpers';
import { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver';

/** Waits on observed progress (spans arriving), never on the clock alone. */
async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Correlation across the apps: every gateway answer names its ledger entry (X-Request-Id), and with
 * OTEL_EXPORTER_OTLP_ENDPOINT set the SDK's instrumentations export spans whose W3C trace context
 * crossed gateway HTTP → gRPC → consent-audit, with no identifier in any attribute.
 */
describe('correlation: X-Request-Id and OpenTelemetry traces', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    [db, registry] = await Promise.all([createTestDatabase('correlation'), createTestRegistry({ agencies: [{ id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'] }, { id: 'ops.audit', roles: ['OPERATOR'] }] })]);
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' };
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: otel, consentAuditEnv: otel });
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
    await otlp?.stop();
  });

  const signed = async () => craftSignature({ key: registry.activeKey('qc.mifi'), gatewayId: registry.document.gatewayId });

  it('every answer carries X-Request-Id, the request_id of its ledger entry (a permitted and a refused exchange)', async () => {
    const permitted = await fetch(`${stack.gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-agency-signature': await signed() }, body: GATEWAY_INFO });
    expect(permitted.status).toBe(200);
    const refused = await fetch(`${stack.gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: GATEWAY_INFO });
    expect(refused.status).toBe(401);
    const entries = await stack.ledgerEntries();
    for (const [res, decision] of [[permitted, 'PERMIT'], [refused, 'DENY']] as const) {
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const entry = entries.find((e) => e.request_id === id);
      expect(entry?.decision).toBe(decision);
    }
    // Answers outside the signed exchange name their request too (no ledger entry behind them).
    const jwks = await fetch(`${stack.gateway.url}/.well-known/jwks.json`);
    expect(jwks.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('one trace crosses gateway → gRPC → consent-audit, exported over OTLP by both apps', async () => {
    // Since the gateway decides and sequences in process (contract 1.3), an operator's signed tree
    // head is one of the exchanges that still cross to consent-audit over gRPC.
    const body = JSON.stringify({ query: '{ signedTreeHead { treeSize } }' });
    const signature = await craftSignature({ key: registry.activeKey('ops.audit'), gatewayId: registry.document.gatewayId, body, claims: { purpose: 'AUDIT_REVIEW' } });
    const res = await post(stack.gateway.url, signature, body);
    expect(res.status).toBe(200);
    const shared = await until('a trace with spans from both the gateway and consent-audit', () => {
      const byTrace = new Map<string, ReceivedSpan[]>();
      for (const s of otlp.spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
      return [...byTrace.values()].find(
        (spans) => spans.some((s) => s.service === 'passerelle-gateway' && s.kind === 2 && /POST/.test(s.name)) && spans.some((s) => s.service === 'passerelle-consent-audit' && s.kind === 2),
      );
    });
    // The consent-audit server span is a child of the gateway's gRPC client span (traceparent in the gRPC metadata).
    const server = shared.find((s) => s.service === 'passerelle-consent-audit' && s.kind === 2)!;
    const client = shared.find((s) => s.spanId === server.parentSpanId);
    expect(client).toMatchObject({ service: 'passerelle-gateway', kind: 3 });
    // Fastify's own instrumentation names the route in the same trace.
    await until("the gateway's Fastify request span", () => otlp.spans.find((s) => s.traceId === server.traceId && s.service === 'passerelle-gateway' && s.attributes['http.route'] === '/graphql'));
  });

  it('no identifier in a span: query strings, message keys and statement parameters are withheld', async () => {
    const gatewayServerSpans = () => otlp.spans.filter((s) => s.service === 'passerelle-gateway' && s.kind === 2).length;
    const before = gatewayServerSpans();
    const refused = await fetch(`${stack.gateway.url}/graphql?clientId=987654321`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: GATEWAY_INFO });
    const requestId = refused.headers.get('x-request-id');
    await until('the refusal in the ledger', async () => (await stack.ledgerEntries()).find((e) => e.request_id === requestId));
    await until("the refused request's server span", () => (gatewayServerSpans() > before ? true : undefined));
    await until('pg spans from consent-audit', () => otlp.spans.find((s) => s.service === 'passerelle-consent-audit' && s.attributes['db.system.name'] === 'postgresql'));
    await until("the refused request's Fastify span", () => otlp.spans.find((s) => s.service === 'passerelle-gateway' && s.attributes['fastify.root'] !== undefined && s.attributes['http.route'] === '/graphql' && s.traceId !== undefined && s.attributes['url.path'] === '/graphql'));
    const attributeText = JSON.stringify(otlp.spans.map((s) => s.attributes));
    expect(attributeText).not.toContain('987654321');
    for (const s of otlp.spans) {
      for (const key of Object.keys(s.attributes)) {
        expect(key).not.toMatch(/^(url\.query|url\.full|http\.url|http\.target|messaging\.kafka\.message\.key|db\.query\.parameter\.|http\.request\.header\.)/);
      }
    }
  });
});
