import { InvalidArgumentError, type Command } from 'commander';
import { PARALLEL_MIN_ENTRIES } from '@passerelle/merkle';
import { SingleBar } from 'cli-progress';
import { GatewayClient, readAgencyKeyFile } from '@passerelle/client';
import { PAGE, readState, verifyLedger, writeState, type LedgerSource, type SthJson } from '../audit/verify-ledger';

interface AuditVerifyOptions {
  gateway: string;
  agency: string;
  key: string;
  state?: string;
  gatewayId: string;
  progress: boolean;
  workers?: number;
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
    .option('--workers <n>', `threads hashing the leaves (default: one per core on machines of 3+ cores when ${PARALLEL_MIN_ENTRIES}+ entries are new, else 0: single-threaded)`, (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 256) throw new InvalidArgumentError('a whole number from 0 to 256');
      return n;
    })
    .action(async (opts: AuditVerifyOptions) => {
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
        });
      } finally {
        if (barStarted) bar.stop();
      }
      if (!outcome.ok) {
        process.stderr.write(`passerelle: audit verification FAILED: ${outcome.message}\n`);
        process.exitCode = outcome.check === 'entry' ? 3 : 2;
        return;
      }
      if (opts.state) await writeState(opts.state, outcome.state);
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `verified: tree_size ${outcome.treeSize}, root ${outcome.rootHash}; ${outcome.newEntries} new entries checked in ${seconds.toFixed(1)} s` +
          `${state ? ` (resumed from ${state.treeSize})` : ''}\n`,
      );
    });
}
