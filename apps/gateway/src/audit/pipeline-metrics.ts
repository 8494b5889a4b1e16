import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

/**
 * The job-match pipeline's figures for operators (GET /audit/pipeline), read from the
 * consumer's probe (CONSUMER_METRICS_URL + /metrics) on the internal network. Only the named
 * pipeline metrics are passed on, never the probe's other series nor its address.
 */
export interface PipelineSummary {
  consumed: number;
  stored: number;
  duplicates: number;
  dead_lettered: { total: number; by_code: Record<string, number> };
  lag: { total: number; partitions: { topic: string; partition: string; lag: number }[] };
}

const PREFIX = 'passerelle_job_matches_';
/** Label values passed on: error codes, topic names, partition numbers; anything else is dropped. */
const SAFE_LABEL = /^[A-Za-z0-9_.-]{1,100}$/;

function labels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (text ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]] = m[2];
  return out;
}

/** Pure: the consumer's Prometheus text as the pipeline summary (absent series count 0). */
export function pipelineSummary(text: string): PipelineSummary {
  const out: PipelineSummary = { consumed: 0, stored: 0, duplicates: 0, dead_lettered: { total: 0, by_code: {} }, lag: { total: 0, partitions: [] } };
  for (const line of text.split('\n')) {
    const m = /^(passerelle_job_matches_\w+?)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const l = labels(m[2]);
    switch (m[1].slice(PREFIX.length)) {
      case 'consumed_total':
        out.consumed += value;
        break;
      case 'stored_total':
        out.stored += value;
        break;
      case 'duplicates_total':
        out.duplicates += value;
        break;
      case 'dead_lettered_total': {
        out.dead_lettered.total += value;
        const code = SAFE_LABEL.test(l.code ?? '') ? l.code : 'other';
        out.dead_lettered.by_code[code] = (out.dead_lettered.by_code[code] ?? 0) + value;
        break;
      }
      case 'lag':
        out.lag.total += value;
        if (SAFE_LABEL.test(l.topic ?? '') && SAFE_LABEL.test(l.partition ?? '')) out.lag.partitions.push({ topic: l.topic, partition: l.partition, lag: value });
        break;
    }
  }
  out.lag.partitions.sort((a, b) => a.topic.localeCompare(b.topic) || Number(a.partition) - Number(b.partition));
  return out;
}

/** The consumer's probe did not answer (stopped, unreachable, or not a Prometheus probe). */
export class PipelineMetricsUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineMetricsUnavailable';
  }
}

export const PIPELINE_METRICS_DEADLINE_MS = 3_000;

@Injectable()
export class PipelineMetricsClient {
  private readonly metricsUrl: string;

  constructor(@Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'CONSUMER_METRICS_URL'>) {
    this.metricsUrl = new URL('/metrics', config.CONSUMER_METRICS_URL).toString();
  }

  async summary(): Promise<PipelineSummary & { read_at: string }> {
    let text: string;
    try {
      const res = await fetch(this.metricsUrl, { redirect: 'error', signal: AbortSignal.timeout(PIPELINE_METRICS_DEADLINE_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch {
      throw new PipelineMetricsUnavailable("the job-match consumer's metrics did not answer (CONSUMER_METRICS_URL); is the consumer running?");
    }
    return { ...pipelineSummary(text), read_at: new Date().toISOString() };
  }
}
