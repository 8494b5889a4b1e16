import { AuditBadRequest } from './audit-params';
import { aggregateRange, toSeries } from './aggregate-params';

const NOW = new Date('2026-12-01T14:47:05.123Z');

function refusal(query: Record<string, unknown>): AuditBadRequest {
  try {
    aggregateRange(query, NOW);
  } catch (e) {
    return e as AuditBadRequest;
  }
  throw new Error('not refused');
}

describe('GET /audit/aggregates parameters', () => {
  it.each([
    ['1h', 12, 300, '2026-12-01T13:50:00.000Z', '2026-12-01T14:50:00.000Z'],
    ['1d', 24, 3600, '2026-11-30T15:00:00.000Z', '2026-12-01T15:00:00.000Z'],
    ['30d', 30, 86_400, '2026-11-02T00:00:00.000Z', '2026-12-02T00:00:00.000Z'],
  ])('window %s is %i whole buckets of %is ending with the current one', (window, n, bucketSeconds, since, until) => {
    const r = aggregateRange({ window, by: 'agency' }, NOW);
    expect(r.buckets).toHaveLength(n);
    expect(r.bucketSeconds).toBe(bucketSeconds);
    expect(r.since.toISOString()).toBe(since);
    expect(r.until.toISOString()).toBe(until);
    expect(r.buckets[n - 1].getTime()).toBeLessThanOrEqual(NOW.getTime());
  });

  it.each([
    [{ by: 'agency' }, 'bad_window', /window is required/],
    [{ window: '7d', by: 'agency' }, 'bad_window', /window must be one of 1h, 1d, 30d/],
    [{ window: ['1h', '1d'], by: 'agency' }, 'bad_window', /more than once/],
    [{ window: '1h' }, 'bad_by', /by is required/],
    [{ window: '1h', by: 'subject' }, 'bad_by', /by must be one of agency, purpose, decision, reason/],
    [{ window: '1h', by: 'subjects' }, 'bad_by', /by must be one of/],
    [{ window: '1h', by: 'fields' }, 'bad_by', /by must be one of/],
  ])('refuses %j with %s', (query, code, message) => {
    const e = refusal(query);
    expect(e).toBeInstanceOf(AuditBadRequest);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it('does not echo the value it refuses', () => {
    expect(refusal({ window: '1h', by: 'i_AAAAAAAAAAAAAAAAAAAAAA' }).message).not.toContain('i_AAAA');
  });

  it('makes the sparse counts one dense series per key, keys sorted, rows outside the buckets ignored', () => {
    const r = aggregateRange({ window: '1h', by: 'agency' }, NOW);
    const series = toSeries(r, [
      { bucket: '2026-12-01T14:45:00.000Z', key: 'qc.mifi', count: 2 },
      { bucket: '2026-12-01T13:50:00.000Z', key: 'ca.esdc', count: 3 },
      { bucket: '2026-12-01T14:45:00.000Z', key: 'ca.esdc', count: 1 },
      { bucket: '2026-12-01T12:00:00.000Z', key: 'ca.esdc', count: 99 },
    ]);
    expect(series.map((s) => [s.key, s.total])).toEqual([
      ['ca.esdc', 4],
      ['qc.mifi', 2],
    ]);
    expect(series[0].counts).toEqual([3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });
});
