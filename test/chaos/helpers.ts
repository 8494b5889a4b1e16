import { createHash } from 'node:crypto';
import type { GatewayClient, RequestPurpose } from '@passerelle/client';
import type { Admin } from 'kafkajs';

export const sha256b64u = (b: string | Buffer) => createHash('sha256').update(b).digest('base64url');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What an agency keeps of every answer the gateway acknowledged with a verified signature. */
export interface Receipt {
  auditSeq: number;
  bodySha256: string;
}

export interface LoadStats {
  sent: number;
  acknowledged: number;
  refused: Map<string, number>;
  /** answers the rules forbid under any fault: 500s, non-contract errors */
  unexpected: string[];
  maxLatencyMs: number;
}

/**
 * A bounded load loop: `workers` agencies' clients sending signed requests (from `pick`) until
 * `stop()` is called, keeping a receipt for every acknowledged (signed, verified) answer.
 */
export function startLoad(opts: { workers: number; pick: (i: number) => { client: GatewayClient; query: string; variables?: Record<string, unknown>; purpose: RequestPurpose } }) {
  const receipts: Receipt[] = [];
  const stats: LoadStats = { sent: 0, acknowledged: 0, refused: new Map(), unexpected: [], maxLatencyMs: 0 };
  let running = true;
  const note = (k: string) => stats.refused.set(k, (stats.refused.get(k) ?? 0) + 1);
  const worker = async (w: number) => {
    for (let i = 0; running; i++) {
      const { client, query, variables, purpose } = opts.pick(w * 1_000_000 + i);
      const t0 = Date.now();
      stats.sent++;
      try {
        const res = await client.graphql(query, variables, purpose);
        stats.maxLatencyMs = Math.max(stats.maxLatencyMs, Date.now() - t0);
        if (res.auditSeq !== undefined && res.status === 200) {
          stats.acknowledged++;
          receipts.push({ auditSeq: res.auditSeq, bodySha256: sha256b64u(res.body) });
        } else {
          const code = (res.json as { error?: { code?: string } } | undefined)?.error?.code ?? `http_${res.status}`;
          note(code);
          if (res.status === 500 || (res.status >= 400 && !/^[a-z_]+$/.test(code))) stats.unexpected.push(`${res.status} ${res.body.slice(0, 200)}`);
        }
      } catch (e) {
        // connection refused or reset while a process is down: no answer, no receipt
        note(`no_answer:${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name}`);
        await sleep(20);
      }
    }
  };
  const done = Promise.all(Array.from({ length: opts.workers }, (_, w) => worker(w)));
  return {
    receipts,
    stats,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** Waits until `check` holds (observed progress), or fails after `timeoutMs` with what was seen. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string | Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${await describe()}`);
    await sleep(50);
  }
}

/** The consumer group has committed the end of every partition of `topic`: nothing left to (re)deliver. */
export async function groupCaughtUp(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const at = new Map(committed.partitions.map((p) => [p.partition, p.offset]));
  return ends.every((e) => at.get(e.partition) === e.offset);
}
