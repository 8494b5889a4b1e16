import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';

/** The consumer's Prometheus metrics, on the app's registry (served at /metrics by the probe). */
@Injectable()
export class MatchesMetrics {
  readonly consumed: Counter;
  readonly stored: Counter;
  readonly deadLettered: Counter<'code'>;
  readonly duplicates: Counter;
  readonly dependencyRetries: Counter<'dependency'>;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly purged: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.consumed = new Counter({ name: 'passerelle_job_matches_consumed_total', help: 'Job-match events consumed', registers });
    this.stored = new Counter({ name: 'passerelle_job_matches_stored_total', help: 'Job matches stored', registers });
    this.deadLettered = new Counter({ name: 'passerelle_job_matches_dead_lettered_total', help: 'Job-match events sent to the DLQ, by error code', labelNames: ['code'], registers });
    this.duplicates = new Counter({ name: 'passerelle_job_matches_duplicates_total', help: 'Job-match events already stored (delivered again)', registers });
    this.dependencyRetries = new Counter({ name: 'passerelle_job_matches_dependency_retries_total', help: 'Retries because a dependency was unavailable', labelNames: ['dependency'], registers });
    this.lag = new Gauge({ name: 'passerelle_job_matches_lag', help: 'Messages behind the high watermark, per partition', labelNames: ['topic', 'partition'], registers });
    this.purged = new Counter({ name: 'passerelle_job_matches_purged_total', help: 'Job matches purged after consent ended', registers });
  }
}
