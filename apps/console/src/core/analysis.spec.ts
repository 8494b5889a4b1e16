import { countOverTime, denialsByReason, isDeadLetter, matchesFilter, pipelineFromMetrics } from './analysis';
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

  it('counts per key in round buckets and denials by reason', () => {
    const es = [
      entry({ time: '2026-03-01T10:00:00Z' }),
      entry({ time: '2026-03-01T10:20:00Z', agency: 'qc.mifi', decision: 'DENY', reason: 'NO_AGREEMENT' }),
      entry({ time: '2026-03-01T11:40:00Z', decision: 'DENY', reason: 'NO_AGREEMENT' }),
      entry({ time: '2026-03-01T11:41:00Z', decision: 'DENY', reason: 'bad_signature' }),
    ];
    const s = countOverTime(es, (e) => e.agency);
    expect(s.bucketMs).toBe(15 * 60_000);
    expect(s.rows.find((r) => r.key === 'ca.esdc')!.counts.reduce((a, b) => a + b)).toBe(3);
    expect(s.rows.map((r) => r.key)).toEqual(['ca.esdc', 'qc.mifi']);
    expect(denialsByReason(es)).toEqual([
      { reason: 'NO_AGREEMENT', count: 2 },
      { reason: 'bad_signature', count: 1 },
    ]);
    expect(countOverTime([], (e) => e.agency).rows).toEqual([]);
  });

  it('recognises dead letters and pipeline metrics', () => {
    expect(isDeadLetter(entry({ operation: 'kafka:jobbank.matches.v1', decision: 'DENY' }))).toBe(true);
    expect(isDeadLetter(entry({ operation: 'kafka:jobbank.matches.v1' }))).toBe(false);
    const text = [
      '# HELP passerelle_job_match_consumed_total events taken in',
      'passerelle_job_match_consumed_total{app="c"} 12',
      'passerelle_job_match_stored_total 9',
      'passerelle_job_match_dead_lettered_total{code="bad_signature"} 2',
      'passerelle_job_match_dead_lettered_total{code="no_consent"} 1',
      'passerelle_job_match_lag{partition="0"} 4',
      'process_cpu_seconds_total 3',
    ].join('\n');
    expect(pipelineFromMetrics(text)).toEqual({ consumed: 12, stored: 9, deadLettered: 3, lag: 4 });
    expect(pipelineFromMetrics('process_cpu_seconds_total 3')).toEqual({});
  });
});
