// eslint-disable-next-line @typescript-eslint/no-require-imports
const { roundOrder, poolWindows } = require('./windows');

type Window = { rps: number; completed: number; elapsed: number; latencies: number[]; errors: number; firstError: string | null; inlineSigned: number; presigned: number; cores?: Record<string, number> };

const windowOf = (latencies: number[], elapsed: number, extra: Partial<Window> = {}): Window => ({
  rps: Math.round(latencies.length / elapsed),
  completed: latencies.length,
  elapsed,
  latencies,
  errors: 0,
  firstError: null,
  inlineSigned: 0,
  presigned: latencies.length,
  ...extra,
});

describe('interleaved bench windows', () => {
  it('rotates the order so that over n rounds every server takes every place once', () => {
    const names = ['bare', 'apollo', 'trustOff', 'full'];
    const rounds = names.map((_, r) => roundOrder(names, r));
    expect(rounds[0]).toEqual(names);
    for (const order of rounds) expect([...order].sort()).toEqual([...names].sort());
    for (let place = 0; place < names.length; place++) expect(new Set(rounds.map((o) => o[place])).size).toBe(names.length);
    expect(roundOrder(names, 5)).toEqual(roundOrder(names, 1));
  });

  it('pools rates over the summed time, not as a mean of the windows\' rates', () => {
    // 100 requests in 1 s, then 100 in 4 s: 200 / 5 s = 40/s, where the mean of the rates would say 62.5
    const a = poolWindows([windowOf(Array(100).fill(1), 1), windowOf(Array(100).fill(1), 4)]);
    expect(a.rps).toBe(40);
    expect(a.completed).toBe(200);
    expect(a.windowRps).toEqual([100, 25]);
  });

  it('takes percentiles over every request of every window together', () => {
    // window 1: 99 fast requests; window 2: one slow one: p99 of the pool is the slow one only at 100 requests
    const fast = Array.from({ length: 99 }, (_, i) => 1 + i / 100);
    const pooled = poolWindows([windowOf(fast, 1), windowOf([500], 1)]);
    expect(pooled.p50Ms).toBeCloseTo(1.5, 1);
    expect(pooled.p99Ms).toBe(500);
    // the same slow request among 1,000: no longer the p99
    const many = poolWindows([windowOf(Array(999).fill(2), 1), windowOf([500], 1)]);
    expect(many.p99Ms).toBe(2);
  });

  it('weights cores by each window\'s time and sums errors, keeping the first error seen', () => {
    const pooled = poolWindows([
      windowOf([1], 1, { cores: { server: 1.0, postgres: 0.2 } }),
      windowOf([1], 3, { cores: { server: 0.6, postgres: 0.4 }, errors: 2, firstError: 'HTTP 503' }),
    ]);
    expect(pooled.cores).toEqual({ server: 0.7, postgres: 0.35 });
    expect(pooled.errors).toBe(2);
    expect(pooled.firstError).toBe('HTTP 503');
  });

  it('refuses windows measured without their latencies, and no window at all', () => {
    const { latencies: _dropped, ...bare } = windowOf([1, 2], 1);
    expect(() => poolWindows([bare])).toThrow(/latencies/);
    expect(() => poolWindows([])).toThrow(/no window/);
  });
});
