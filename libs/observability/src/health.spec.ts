import { checkHealth, publicHealth } from './health';

describe('checkHealth', () => {
  it('is up only when every component is up', async () => {
    const up = await checkHealth({ database: async () => undefined, kafka: async () => undefined });
    expect(up.status).toBe('up');
    const down = await checkHealth({ database: async () => undefined, kafka: async () => { throw new Error('broker unreachable'); } });
    expect(down).toEqual({
      status: 'down',
      components: { database: { status: 'up' }, kafka: { status: 'down', detail: 'broker unreachable' } },
    });
  });

  it('reports a check that hangs as down after the timeout', async () => {
    const report = await checkHealth({ slow: () => new Promise(() => undefined) }, 20);
    expect(report.components.slow).toEqual({ status: 'down', detail: 'no answer within 20 ms' });
  });
});

describe('publicHealth', () => {
  it('keeps the status and drops every component name and error text', () => {
    expect(publicHealth({ status: 'down', components: { kafka: { status: 'down', detail: 'connect ECONNREFUSED 10.0.0.7:9092' } } })).toEqual({ status: 'down' });
    expect(publicHealth({ status: 'up', components: { database: { status: 'up' } } })).toEqual({ status: 'up' });
  });
});
