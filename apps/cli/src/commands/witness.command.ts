import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import Fastify from 'fastify';
import { cosigner, formatPrivateKey, formatVkey, generateKeyPair, parsePrivateKey, SIG_COSIGNATURE_V1, SIG_ED25519, verifierFromVkey, type NoteVerifier } from '@passerelle/checkpoint';
import { writeSecretFile } from '@passerelle/crypto';
import { addCheckpoint, CheckpointStaleError, FileWitnessStore, listEvidence, MalformedRequestError, verifyEvidence, WitnessError, type WitnessState } from '@passerelle/witness';

/**
 * `passerelle witness keygen|serve|evidence`: a C2SP tlog-witness another party runs with its own
 * key, cosigning the checkpoints of the logs it follows (libs/witness holds the rules; this is
 * the thin HTTP and file layer on top).
 */
export function registerWitness(program: Command) {
  const witness = program.command('witness').description('cosign the checkpoints of logs you follow (C2SP tlog-witness), and keep proof of any split view');

  witness
    .command('keygen')
    .description('generate a witness cosigning key: the private key stays with you (0600), the vkey goes to the log and its verifiers')
    .requiredOption('--name <name>', 'witness key name, e.g. cai.gouv.qc.ca/witness')
    .requiredOption('--out <file>', 'where to write the private key')
    .action(async (opts: { name: string; out: string }) => {
      const pair = generateKeyPair(opts.name, SIG_COSIGNATURE_V1);
      if ((await writeSecretFile(opts.out, `${formatPrivateKey(pair)}\n`)) === 'exists') throw new Error(`${opts.out} already exists; refusing to overwrite a key (move it away first)`);
      process.stderr.write(`private key: ${opts.out} (keep it secret)\nvkey (give it to the log and to verifiers):\n`);
      process.stdout.write(`${formatVkey(pair.name, SIG_COSIGNATURE_V1, pair.publicKey)}\n`);
    });

  witness
    .command('serve')
    .description('serve POST /add-checkpoint (and GET /<sha256(origin)>/checkpoint) on 127.0.0.1')
    .requiredOption('--key <file>', 'the witness private key (from `witness keygen`, mode 0600)')
    .requiredOption('--state <dir>', 'directory of the witness state (latest cosigned checkpoint per log, evidence)')
    .requiredOption('--log <origin=vkey>', "a log to follow and its Ed25519 note key; repeat for more logs or keys", collect, [])
    .option('--port <port>', 'TCP port on 127.0.0.1 (0 picks a free one)', '7380')
    .action(async (opts: { key: string; state: string; log: string[]; port: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a TCP port number (got ${JSON.stringify(opts.port)})`);
      const logs = parseLogs(opts.log);
      const pair = parsePrivateKey(await readPrivateKey(opts.key));
      if (pair.type !== SIG_COSIGNATURE_V1) throw new Error(`${opts.key} is not a witness cosigning key (type 0x04); make one with \`passerelle witness keygen\``);
      const store = await FileWitnessStore.open(opts.state);
      const state: WitnessState = { store, logs, cosigner: cosigner(pair) };

      const app = Fastify({ bodyLimit: 1 << 20 });
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      app.post('/add-checkpoint', async (req, reply) => {
        try {
          const body = decodeBody(req.body);
          const res = await addCheckpoint(state, body);
          return reply.code(200).type('text/plain; charset=utf-8').send(res.cosignatures);
        } catch (e) {
          if (!(e instanceof WitnessError)) throw e;
          process.stderr.write(`${JSON.stringify({ refused: e.code, status: e.status, reason: e.message, ...(e.evidence ? { evidence: e.evidence } : {}) })}\n`);
          // SPEC: on 409 the body MUST be the latest cosigned size in decimal and a newline, Content-Type text/x.tlog.size.
          if (e instanceof CheckpointStaleError) return reply.code(409).type('text/x.tlog.size').send(`${e.latestSize}\n`);
          return reply.code(e.status).type('text/plain; charset=utf-8').send(`${e.message}\n`);
        }
      });
      const byHash = new Map([...logs.keys()].map((o) => [createHash('sha256').update(o, 'utf8').digest('hex'), o]));
      app.get<{ Params: { hash: string } }>('/:hash/checkpoint', async (req, reply) => {
        const origin = byHash.get(req.params.hash);
        const latest = origin ? (await store.get(origin))?.latest : undefined;
        if (!latest) return reply.code(404).type('text/plain; charset=utf-8').send('no checkpoint cosigned for this log\n');
        return reply.code(200).type('text/plain; charset=utf-8').send(latest.note);
      });
      await app.listen({ host: '127.0.0.1', port });
      const address = app.server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      process.stdout.write(`witness ${pair.name} listening on http://127.0.0.1:${bound} for ${[...logs.keys()].join(', ')}\n`);
      process.stdout.write(`vkey: ${formatVkey(pair.name, SIG_COSIGNATURE_V1, pair.publicKey)}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await app.close();
      await store.close();
    });

  witness
    .command('evidence')
    .description("print the split-view evidence a witness kept (two log-signed checkpoints it could not reconcile)")
    .requiredOption('--state <dir>', 'the witness state directory')
    .option('--log <origin=vkey>', 'check the evidence of this log with its key; repeat for more', collect, [])
    .option('--json', 'one JSON object per line instead of text')
    .action(async (opts: { state: string; log: string[]; json?: boolean }) => {
      const logs = parseLogs(opts.log);
      const store = await FileWitnessStore.openReadOnly(opts.state);
      const all = await listEvidence(store);
      await store.close();
      if (all.length === 0) {
        process.stderr.write('no evidence: this witness was never shown two irreconcilable checkpoints\n');
        return;
      }
      for (const e of all) {
        const keys = logs.get(e.origin);
        const verdict = keys ? verifyEvidence(e, keys) : undefined;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ...e, verdict: verdict ?? 'unchecked' })}\n`);
          continue;
        }
        const title = e.kind === 'same-size-different-root' ? 'EQUIVOCATION: two checkpoints of one size with different roots' : 'INCONSISTENT: a checkpoint sent with a consistency proof that does not verify';
        const check = !verdict ? 'not checked (pass --log <origin>=<vkey> to verify the log signatures)' : verdict.proven ? `PROVEN with the log key: size ${verdict.size}, roots ${verdict.roots[0]} and ${verdict.roots[1]}` : `not a proof of equivocation: ${verdict.reason}`;
        process.stdout.write(
          [
            `${title}`,
            `log: ${e.origin}`,
            `observed: ${new Date(e.observedAt * 1000).toISOString()} (old size sent: ${e.oldSize}, proof lines: ${e.proof.length})`,
            `check: ${check}`,
            '--- checkpoint this witness had cosigned:',
            e.cosignedNote.trimEnd(),
            '--- checkpoint presented, signed by the log:',
            e.presentedNote.trimEnd(),
            '',
            '',
          ].join('\n'),
        );
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `<origin>=<vkey>` pairs (the vkey may contain "=", the origin may not) → trusted log keys by origin. */
function parseLogs(specs: string[]): Map<string, NoteVerifier[]> {
  const logs = new Map<string, NoteVerifier[]>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new Error('--log must be <origin>=<vkey>, e.g. passerelle.gc.ca/ledger=passerelle.gc.ca/ledger+1a2b3c4d+AX…');
    const origin = spec.slice(0, eq);
    const v = verifierFromVkey(spec.slice(eq + 1));
    if (v.type !== SIG_ED25519) throw new Error(`--log ${origin}: the log key must be an Ed25519 note key (vkey type 0x01)`);
    logs.set(origin, [...(logs.get(origin) ?? []), v]);
  }
  return logs;
}

/** Reads a private key file, refusing one that others can read (as ssh does). */
async function readPrivateKey(file: string): Promise<string> {
  const st = await fs.stat(file);
  if ((st.mode & 0o077) !== 0) throw new Error(`${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
  return fs.readFile(file, 'utf8');
}

function decodeBody(body: unknown): string {
  if (!Buffer.isBuffer(body)) throw new MalformedRequestError('the request has no body');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new MalformedRequestError('the request body is not valid UTF-8');
  }
}
