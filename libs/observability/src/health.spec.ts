import { checkHealth } from './health';

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
