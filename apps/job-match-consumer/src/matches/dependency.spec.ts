import fc from 'fast-check';
import { backoffMs, DependencyUnavailable, ProcessingAborted, refusalCodeOf, untilDone, type RetryContext } from './dependency';

function context(over: Partial<RetryContext> = {}): RetryContext & { retries: number[]; heartbeats: number } {
  const ctx = {
    retries: [] as number[],
    heartbeats: 0,
    shouldContinue: () => true,
    heartbeat: async () => {
      ctx.heartbeats++;
    },
    onRetry: (_e: DependencyUnavailable, attempt: number) => ctx.retries.push(attempt),
    sleep: async () => undefined,
    ...over,
  };
  return ctx;
}

describe('untilDone', () => {
  it('retries a step while its dependency is unavailable, heartbeating, then returns its result', async () => {
    let calls = 0;
    const ctx = context();
    const result = await untilDone(async () => {
      if (++calls < 3) throw new DependencyUnavailable('database', new Error('connection refused'));
      return 'stored';
    }, ctx);
    expect(result).toBe('stored');
    expect(ctx.retries).toEqual([1, 2]);
    expect(ctx.heartbeats).toBeGreaterThanOrEqual(2);
  });

  it('does not retry other errors', async () => {
    const ctx = context();
    await expect(untilDone(async () => Promise.reject(new TypeError('bug')), ctx)).rejects.toThrow(TypeError);
    expect(ctx.retries).toEqual([]);
  });

  it('gives up with ProcessingAborted once the consumer should stop', async () => {
    let running = true;
    const ctx = context({ shouldContinue: () => running });
    await expect(
      untilDone(async () => {
        running = false;
        throw new DependencyUnavailable('consent-audit', new Error('UNAVAILABLE'));
      }, ctx),
    ).rejects.toBeInstanceOf(ProcessingAborted);
  });
});

describe('backoffMs', () => {
  it('stays between half the cap and the cap, the cap doubling from 200 ms up to 15 s (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const cap = Math.min(15_000, 200 * 2 ** Math.min(attempt, 10));
        const ms = backoffMs(attempt, () => r);
        expect(ms).toBeGreaterThanOrEqual(Math.floor(cap / 2));
        expect(ms).toBeLessThanOrEqual(cap);
      }),
    );
  });
});

describe('refusalCodeOf', () => {
  it.each([
    [3, 'refused_invalid_argument'],
    [9, 'refused_failed_precondition'],
    [7, 'refused_permission_denied'],
    [16, 'refused_unauthenticated'],
    [14, undefined], // UNAVAILABLE: retry
    [4, undefined], // DEADLINE_EXCEEDED: retry
    [13, undefined], // INTERNAL: consent-audit's database down answers this: retry
    [8, undefined], // RESOURCE_EXHAUSTED: retry
    [undefined, undefined], // not a gRPC status (a timeout): retry
  ])('status %p → %p', (status, code) => {
    expect(refusalCodeOf(status)).toBe(code);
  });
});
