import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { eventually, queryAsOwner, runApp, type TestRegistry } from '@passerelle/testing';
import type { GatewayClient, RequestPurpose } from '@passerelle/client';

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
export const until = eventually;

/** The consumer group has committed the end of every partition of `topic`: nothing left to (re)deliver. */
export { groupCaughtUp } from '../matches/harness';

/**
 * The ledger after a failover under load, checked against what the agencies kept: every
 * acknowledged answer's entry is there with the body the agency received, no two answers claim one
 * entry, no request is recorded twice, seqs are dense, and the agencies' entries number between the
 * acknowledged and the sent requests (a request cut by the kill has at most one). Returns the size.
 */
export async function expectLedgerAccountsForLoad(dbUrl: string, receipts: Receipt[], stats: { sent: number; acknowledged: number }, agencies: string[]): Promise<number> {
  const rows = await queryAsOwner<{ seq: string; response_sha256: string }>(dbUrl, `SELECT seq, canonical::jsonb->>'response_sha256' AS response_sha256 FROM ledger_entries WHERE seq = ANY($1::bigint[])`, [receipts.map((r) => r.auditSeq)]);
  const stored = new Map(rows.map((r) => [Number(r.seq), r.response_sha256]));
  expect({ missing: receipts.filter((r) => !stored.has(r.auditSeq)).length, mismatched: receipts.filter((r) => stored.get(r.auditSeq) !== r.bodySha256).length }).toEqual({ missing: 0, mismatched: 0 });
  expect(new Set(receipts.map((r) => r.auditSeq)).size).toBe(receipts.length);
  const [dup] = await queryAsOwner<{ n: string }>(dbUrl, `SELECT count(*) AS n FROM (SELECT canonical::jsonb->>'jti' AS jti FROM ledger_entries WHERE canonical::jsonb->>'jti' <> '' GROUP BY 1 HAVING count(*) > 1) d`);
  expect(Number(dup.n)).toBe(0);
  const [{ n, max }] = await queryAsOwner<{ n: string; max: string }>(dbUrl, 'SELECT count(*) AS n, max(seq) AS max FROM ledger_entries');
  expect(Number(max) + 1).toBe(Number(n));
  const [mine] = await queryAsOwner<{ n: string }>(dbUrl, `SELECT count(*) AS n FROM ledger_entries WHERE canonical::jsonb->>'agency' = ANY($1)`, [agencies]);
  expect(Number(mine.n)).toBeGreaterThanOrEqual(stats.acknowledged);
  expect(Number(mine.n)).toBeLessThanOrEqual(stats.sent);
  return Number(n);
}

/** Waits for a tree head covering `size` entries, then runs the offline `passerelle audit verify` as ops.audit: it must pass. */
export async function expectOfflineVerification(opts: { dbUrl: string; size: number; gatewayUrl: string; registry: TestRegistry; secretsDir: string }): Promise<void> {
  const covered = async () => Number((await queryAsOwner<{ n: string }>(opts.dbUrl, 'SELECT coalesce(max(tree_size), 0) AS n FROM ledger_tree_heads'))[0].n);
  await until(async () => (await covered()) >= opts.size, 30_000, async () => `heads cover ${await covered()} of ${opts.size}`);
  const keyFile = path.join(opts.secretsDir, 'ops.audit.private.jwk.json');
  await fs.writeFile(keyFile, JSON.stringify(opts.registry.activeKey('ops.audit').privateJwk), { mode: 0o600 });
  const verify = await runApp('cli', ['audit', 'verify', '--gateway', opts.gatewayUrl, '--agency', 'ops.audit', '--key', keyFile, '--gateway-id', opts.registry.document.gatewayId, '--state', path.join(opts.secretsDir, 'verify-state.json')]);
  expect(verify.stdout).toMatch(/^verified: tree_size \d+/m);
  expect(verify.code).toBe(0);
}
