import { InvalidArgumentError, type Command } from 'commander';
import { THREADS_MIN_ENTRIES, TWO_CORES_THREAD_MIN_ENTRIES } from '@passerelle/merkle';
import { SingleBar } from 'cli-progress';
import { GatewayClient, readAgencyKeyFile } from '@passerelle/client';
import fs from 'node:fs/promises';
import { loadRegistryFile } from '@passerelle/registry';
import { parsePolicy, policyWitnesses, type CosignedCheckpointCheck } from '@passerelle/witness';
import { PAGE, readState, verifyLedger, writeState, type LedgerSource, type SthJson } from '../audit/verify-ledger';

interface AuditVerifyOptions {
  gateway: string;
  agency: string;
  key: string;
  state?: string;
  gatewayId: string;
  progress: boolean;
  workers?: number;
  witnessPolicy?: string;
  logVkey?: string;
  witness: string[];
  registry?: string;
}

/** The witness policy and the keys it needs, from the options; undefined without --witness-policy. */
async function witnessCheck(opts: AuditVerifyOptions): Promise<CosignedCheckpointCheck | undefined> {
  if (!opts.witnessPolicy) return undefined;
  const policy = parsePolicy(opts.witnessPolicy);
  if (!opts.logVkey) throw new InvalidArgumentError('--witness-policy needs --log-vkey <vkey or file>: the log\'s note key, obtained out of band (never from the log itself)');
  const logVkey = await vkeyOrFile(opts.logVkey);
  const keys = new Map<string, string>();
  if (opts.registry) for (const w of (await loadRegistryFile(opts.registry)).witnesses ?? []) keys.set(w.name, w.vkey);
  for (const spec of opts.witness) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError('--witness must be <name>=<vkey>');
    keys.set(spec.slice(0, eq), spec.slice(eq + 1));
  }
  const unknown = policyWitnesses(policy).filter((n) => !keys.has(n));
  if (unknown.length) throw new InvalidArgumentError(`the witness policy names ${unknown.join(', ')}, whose key is given by neither --witness nor --registry`);
  return { policy, logVkey, witnessKeys: keys };
}

async function vkeyOrFile(v: string): Promise<string> {
  return v.includes('+') ? v : (await fs.readFile(v, 'utf8')).trim();
}

/** The gateway's /audit REST as a LedgerSource, every request signed (purpose AUDIT_REVIEW), every answer's signature checked. */
function restSource(client: GatewayClient): LedgerSource {
  const get = async <T>(path: string): Promise<T> => {
    const res = await client.get<T & { error?: { code?: string; message?: string } }>(path, 'AUDIT_REVIEW');
    if (res.status !== 200) {
      const err = res.json?.error;
      throw new Error(`GET ${path} answered HTTP ${res.status}${err?.code ? `: ${err.code}: ${err.message ?? ''}` : ''}`);
    }
    return res.json;
  };
  return {
    jwks: () => client.gatewayJwks(),
    sth: () => get<SthJson>('/audit/sth'),
    entries: async (start, end) => (await get<{ entries: Array<Record<string, unknown>> }>(`/audit/entries?start=${start}&end=${end}`)).entries,
    consistency: async (first, second) => (await get<{ consistency: string[] }>(`/audit/proof/consistency?first=${first}&second=${second}`)).consistency,
    checkpoint: async () => (await get<{ checkpoint: string }>('/audit/checkpoint')).checkpoint,
  };
}

/** `passerelle audit verify`: recomputes the whole ledger (or what is new since --state) against the signed tree head. */
export function registerAuditVerify(program: Command) {
  const audit = program.commands.find((c) => c.name() === 'audit') ?? program.command('audit').description('verify the audit ledger');
  audit
    .command('verify')
    .description('fetch the signed tree head and every ledger entry, recompute leaves and root, check signatures and consistency; exits non-zero naming the first bad seq')
    .requiredOption('--gateway <url>', 'gateway base URL, e.g. http://127.0.0.1:3000')
    .requiredOption('--agency <id>', 'your (OPERATOR) agency id')
    .requiredOption('--key <file>', 'your private key file (<agency>.private.jwk.json)')
    .option('--state <file>', 'resumable state: the verified head is read from and saved to this file, so the next run fetches only new entries')
    .option('--gateway-id <id>', "the registry's gatewayId (the aud of your signatures)", 'passerelle')
    .option('--no-progress', 'no progress bar')
    .option('--workers <n>', `threads hashing the leaves beside the main thread (default: one per core but one on machines of 3+ cores when ${THREADS_MIN_ENTRIES}+ entries are new, one on 2 cores when ${TWO_CORES_THREAD_MIN_ENTRIES}+ are, else 0: the main thread alone)`, (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 256) throw new InvalidArgumentError('a whole number from 0 to 256');
      return n;
    })
    .option('--witness-policy <policy>', 'refuse the ledger unless its checkpoint carries these cosignatures, e.g. "2 of {qc.cai, ca.opc}"')
    .option('--log-vkey <vkey|file>', "the log's checkpoint note key (consent-audit's public/log-note.vkey), needed with --witness-policy")
    .option('--witness <name=vkey>', 'a witness cosigning key; repeat (or use --registry)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--registry <file>', 'take the witness keys from this registry file (its witnesses)')
    .action(async (opts: AuditVerifyOptions) => {
      const witness = await witnessCheck(opts);
      const key = await readAgencyKeyFile(opts.key);
      const client = new GatewayClient({ url: opts.gateway, agency: opts.agency, kid: key.kid, privateKey: key, alg: key.alg, gatewayId: opts.gatewayId });
      const state = opts.state ? await readState(opts.state, opts.gateway) : undefined;
      const bar = new SingleBar({ stream: process.stderr, format: 'verifying [{bar}] {value}/{total} entries {percentage}% | {eta_formatted}', hideCursor: false, noTTYOutput: false, etaBuffer: 20 });
      const started = performance.now();
      let barStarted = false;
      let outcome;
      try {
        outcome = await verifyLedger(restSource(client), {
          gateway: opts.gateway,
          state,
          workers: opts.workers,
          onStart: (total) => {
            if (opts.progress && total > PAGE) {
              bar.start(total, 0);
              barStarted = true;
            }
          },
          onProgress: (done) => barStarted && bar.update(done),
          witness,
        });
      } finally {
        if (barStarted) bar.stop();
      }
      if (!outcome.ok) {
        process.stderr.write(`passerelle: audit verification FAILED: ${outcome.message}\n`);
        process.exitCode = outcome.check === 'entry' ? 3 : outcome.check === 'witness' ? 4 : outcome.check === 'promise' ? 5 : 2;
        return;
      }
      if (opts.state) await writeState(opts.state, outcome.state);
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `verified: tree_size ${outcome.treeSize}, root ${outcome.rootHash}; ${outcome.newEntries} new entries checked in ${seconds.toFixed(1)} s` +
          `${state ? ` (resumed from ${state.treeSize})` : ''}` +
          `${outcome.witnessed ? `; checkpoint ${outcome.witnessed.size} cosigned by ${outcome.witnessed.by.join(', ')}` : ''}\n`,
      );
    });
}
