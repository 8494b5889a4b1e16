import fc from 'fast-check';
import { aggregateOperation, MAX_TRACKED_SOURCES, parseAggregateOperation, UnverifiedCounts, UnverifiedSourceLimiter } from './unverified-sources';

describe('unverified requests per source', () => {
  it('admits a burst of perMinute refusals per source, then 429 with a retry delay; other sources are not affected', () => {
    const limiter = new UnverifiedSourceLimiter(3);
    const t = 1_000_000;
    expect([1, 2, 3].map(() => limiter.take('203.0.113.7', t).ok)).toEqual([true, true, true]);
    const refused = limiter.take('203.0.113.7', t);
    expect(refused).toMatchObject({ ok: false, retryAfterSeconds: 20 });
    expect(refused.ok ? '' : refused.message).toMatch(/at most 3 a minute/);
    expect(limiter.take('198.51.100.1', t).ok).toBe(true);
    expect(limiter.take('203.0.113.7', t + 20_000).ok).toBe(true); // one token back after 60/3 s
  });

  it('tracks a bounded number of sources', () => {
    const limiter = new UnverifiedSourceLimiter(1);
    for (let i = 0; i <= MAX_TRACKED_SOURCES; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`, 0);
    expect((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size).toBe(MAX_TRACKED_SOURCES);
  });

  it('property: an aggregate operation fits the ledger and reads back', () => {
    const source = fc.oneof(fc.ipV4(), fc.ipV6());
    fc.assert(
      fc.property(source, fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 2 ** 31 }), (src, start, length, count) => {
        const a = { source: src, reason: 'missing_signature', windowStartMs: start, windowEndMs: start + length, count };
        const op = aggregateOperation(a);
        expect(op).toMatch(/^[\x20-\x7e]{1,200}$/);
        expect(parseAggregateOperation(op)).toEqual({ source: src, windowStartMs: start, windowEndMs: start + length, count });
      }),
    );
  });

  it('counts per (source, reason) and window; what could not be appended is counted again, never dropped', () => {
    const counts = new UnverifiedCounts(1000);
    counts.add('a', 'missing_signature');
    counts.add('a', 'missing_signature');
    counts.add('a', 'bad_signature');
    counts.add('b', 'missing_signature');
    const first = counts.drain(61_000);
    expect(first.map((x) => [x.source, x.reason, x.count, x.windowStartMs, x.windowEndMs])).toEqual([
      ['a', 'missing_signature', 2, 1000, 61_000],
      ['a', 'bad_signature', 1, 1000, 61_000],
      ['b', 'missing_signature', 1, 1000, 61_000],
    ]);
    expect(counts.size).toBe(0);
    counts.restore(first.slice(0, 1));
    counts.add('a', 'missing_signature');
    expect(counts.drain(121_000)).toEqual([{ source: 'a', reason: 'missing_signature', count: 3, windowStartMs: 1000, windowEndMs: 121_000 }]);
  });
});
