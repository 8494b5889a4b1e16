import { Counter, Gauge, Registry } from 'prom-client';
import { pipelineSummary } from './pipeline-metrics';

describe("the job-match pipeline's figures", () => {
  it("reads the consumer's own metric names (as its MatchesMetrics registers them)", async () => {
    const registry = new Registry();
    const registers = [registry];
    new Counter({ name: 'passerelle_job_matches_consumed_total', help: 'x', registers }).inc(7);
    new Counter({ name: 'passerelle_job_matches_stored_total', help: 'x', registers }).inc(4);
    new Counter({ name: 'passerelle_job_matches_duplicates_total', help: 'x', registers }).inc(1);
    const dead = new Counter({ name: 'passerelle_job_matches_dead_lettered_total', help: 'x', labelNames: ['code'], registers });
    dead.inc({ code: 'bad_signature' });
    dead.inc({ code: 'no_consent' }, 2);
    const lag = new Gauge({ name: 'passerelle_job_matches_lag', help: 'x', labelNames: ['topic', 'partition'], registers });
    lag.set({ topic: 'jobbank.matches.v1', partition: '1' }, 3);
    lag.set({ topic: 'jobbank.matches.v1', partition: '0' }, 5);
    new Counter({ name: 'nodejs_other_total', help: 'x', registers }).inc(100);
    expect(pipelineSummary(await registry.metrics())).toEqual({
      consumed: 7,
      stored: 4,
      duplicates: 1,
      dead_lettered: { total: 3, by_code: { bad_signature: 1, no_consent: 2 } },
      lag: {
        total: 8,
        partitions: [
          { topic: 'jobbank.matches.v1', partition: '0', lag: 5 },
          { topic: 'jobbank.matches.v1', partition: '1', lag: 3 },
        ],
      },
    });
  });

  it('counts zero for absent series, and passes on no label value that is not a plain code', () => {
    const s = pipelineSummary('passerelle_job_matches_dead_lettered_total{code="a b\\"c"} 2\npasserelle_job_matches_lag{topic="t x",partition="0"} 4\n');
    expect(s.consumed).toBe(0);
    expect(s.dead_lettered.by_code).toEqual({ other: 2 });
    expect(s.lag).toEqual({ total: 4, partitions: [] });
  });
});
