import { aggregatesSeries, isDeadLetter, matchesFilter, reasonBars, type AggregatesAnswer } from './analysis';
import type { LedgerEntry } from './ledger';

function entry(over: Partial<LedgerEntry>): LedgerEntry {
  return { seq: 0, time: '2026-03-01T10:00:00.000Z', agency: 'ca.esdc', purpose: 'JOB_MATCHING', operation: 'graphql:jobMatches', decision: 'PERMIT', reason: 'ok', subjects: [], fields: [], ...over };
}

describe('console analysis', () => {
  it('filters by every attribute together', () => {
    const e = entry({ subjects: ['i_1'], decision: 'DENY', reason: 'CONSENT_REQUIRED' });
    expect(matchesFilter(e, {})).toBe(true);
    expect(matchesFilter(e, { agency: 'ca.esdc', purpose: 'JOB_MATCHING', decision: 'DENY', operation: 'graphql:jobMatches', subject: 'i_1' })).toBe(true);
    expect(matchesFilter(e, { subject: 'i_2' })).toBe(false);
    expect(matchesFilter(e, { from: '2026-03-01T10:00:01Z' })).toBe(false);
    expect(matchesFilter(e, { to: '2026-03-01T09:00:00Z' })).toBe(false);
    expect(matchesFilter(e, { decision: 'PERMIT' })).toBe(false);
  });

  it("draws the gateway's aggregates as series, and refusals by reason without the permitted ones", () => {
    const a: AggregatesAnswer = {
      window: '1h',
      by: 'reason',
      since: '2026-03-01T10:00:00.000Z',
      until: '2026-03-01T10:10:00.000Z',
      bucket_seconds: 300,
      buckets: ['2026-03-01T10:00:00.000Z', '2026-03-01T10:05:00.000Z'],
      series: [
        { key: '', counts: [1, 0], total: 1 },
        { key: 'NO_AGREEMENT', counts: [2, 0], total: 2 },
        { key: 'bad_signature', counts: [0, 2], total: 2 },
        { key: 'ok', counts: [5, 6], total: 11 },
      ],
      total: 16,
    };
    const s = aggregatesSeries(a);
    expect(s.bucketMs).toBe(300_000);
    expect(s.buckets).toEqual([Date.parse('2026-03-01T10:00:00Z'), Date.parse('2026-03-01T10:05:00Z')]);
    expect(s.rows.map((r) => r.key)).toEqual(['—', 'NO_AGREEMENT', 'bad_signature', 'ok']);
    expect(aggregatesSeries(a, '(none)').rows[0].key).toBe('(none)');
    expect(reasonBars(a)).toEqual([
      { reason: 'bad_signature', count: 2 },
      { reason: 'NO_AGREEMENT', count: 2 },
      { reason: '', count: 1 },
    ]);
  });

  it('recognises dead letters', () => {
    expect(isDeadLetter(entry({ operation: 'kafka:jobbank.matches.v1', decision: 'DENY' }))).toBe(true);
    expect(isDeadLetter(entry({ operation: 'kafka:jobbank.matches.v1' }))).toBe(false);
  });
});
