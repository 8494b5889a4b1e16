import fc from 'fast-check';
import { Registry } from '@passerelle/registry';
import { AgencyRateLimiter, takeToken, type TokenBucket } from './rate-limit';

const T0 = 1_800_000_000_000;

describe('takeToken (token bucket)', () => {
  it('allows a burst of requestsPerMinute, then refuses with the seconds until the next token', () => {
    let bucket: TokenBucket | undefined;
    for (let i = 0; i < 6; i++) {
      const r = takeToken(bucket, 6, T0);
      bucket = r.bucket;
      expect(r.verdict.ok).toBe(true);
    }
    const refused = takeToken(bucket, 6, T0);
    expect(refused.verdict).toMatchObject({ ok: false, retryAfterSeconds: 10 });
    // one token comes back every 10 s at 6 per minute
    expect(takeToken(refused.bucket, 6, T0 + 9_000).verdict.ok).toBe(false);
    expect(takeToken(refused.bucket, 6, T0 + 10_000).verdict.ok).toBe(true);
  });

  it('never admits more than capacity + elapsed × rate, whatever the arrival times (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }), (perMinute, gaps) => {
        let bucket: TokenBucket | undefined;
        let now = T0;
        let admitted = 0;
        for (const gap of gaps) {
          now += gap;
          const r = takeToken(bucket, perMinute, now);
          bucket = r.bucket;
          if (r.verdict.ok) admitted++;
          else expect(r.verdict.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        }
        expect(admitted).toBeLessThanOrEqual(perMinute + Math.floor(((now - T0) * perMinute) / 60_000) + 1);
      }),
    );
  });

  it('gains nothing from a clock that goes backwards', () => {
    const spent = takeToken(undefined, 1, T0).bucket;
    expect(takeToken(spent, 1, T0 - 3_600_000).verdict.ok).toBe(false);
  });
});

describe('AgencyRateLimiter', () => {
  const registry = (perMinute?: number) =>
    new Registry({
      gatewayId: 'gw',
      agencies: [
        { id: 'qc.mifi', names: { en: 'a', fr: 'b' }, jurisdiction: 'QC', roles: ['CONSUMER'], keys: [], ...(perMinute ? { rateLimit: { requestsPerMinute: perMinute } } : {}) },
        { id: 'ca.esdc', names: { en: 'a', fr: 'b' }, jurisdiction: 'CA', roles: ['CONSUMER'], keys: [] },
      ],
      agreements: [],
      programs: [],
    });

  it('limits only agencies with a rateLimit, each in its own bucket, and follows a registry reload', async () => {
    const limiter = new AgencyRateLimiter();
    const limited = registry(2);
    const takes = async (r: Registry, agency: string, n: number) => {
      const out: boolean[] = [];
      for (let i = 0; i < n; i++) out.push((await limiter.take(r, agency, T0)).ok);
      return out;
    };
    expect(await takes(limited, 'qc.mifi', 3)).toEqual([true, true, false]);
    expect((await takes(limited, 'ca.esdc', 100)).every(Boolean)).toBe(true);
    // the limit removed by a reload: no longer limited
    expect((await takes(registry(), 'qc.mifi', 1))[0]).toBe(true);
  });
});
