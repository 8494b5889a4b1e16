import { startTracing, tracingEnabled, withholdAttributes } from './tracing';

describe('tracing', () => {
  it('is off without an OTLP endpoint, and then loads nothing of the SDK (zero cost)', async () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    await startTracing('gateway', {})();
    expect(Object.keys(require.cache).some((m) => m.includes('@opentelemetry/sdk-node'))).toBe(false);
  });

  it.each([
    ['messaging.kafka.message.key', 'a pseudonym'],
    ['url.query', 'clientId=987654321'],
    ['url.full', 'http://gw/graphql?clientId=987654321'],
    ['http.target', '/graphql?clientId=987654321'],
    ['db.query.parameter.0', '987654321'],
    ['http.request.header.x-agency-signature', 'eyJ…'],
    ['enduser.id', 'someone'],
  ])('withholds %s from exported spans', (key, value) => {
    const attributes: Record<string, unknown> = { [key]: value, 'rpc.method': 'Append', 'db.query.text': 'SELECT 1 WHERE x = $1' };
    withholdAttributes(attributes);
    expect(attributes).toEqual({ 'rpc.method': 'Append', 'db.query.text': 'SELECT 1 WHERE x = $1' });
  });

  it('keeps a path but not its query string', () => {
    const attributes: Record<string, unknown> = { 'url.path': '/graphql?clientId=987654321', 'http.route': '/graphql' };
    withholdAttributes(attributes);
    expect(attributes).toEqual({ 'url.path': '/graphql', 'http.route': '/graphql' });
  });
});
