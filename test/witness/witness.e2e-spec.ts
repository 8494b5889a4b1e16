import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ed25519Signer, EMPTY_TREE_ROOT, formatVkey, generateKeyPair, SIG_ED25519, signCheckpoint, verifierFromVkey, verifyCosignatures, appendSignatures } from '@passerelle/checkpoint';
import { consistencyProof, leafHash, rootHash, type Hash } from '@passerelle/merkle';
import { runApp, startApp, type RunningApp } from '@passerelle/testing';
import { formatAddCheckpointRequest } from '@passerelle/witness';

/**
 * The built `passerelle witness serve`, driven over HTTP the way a log drives a witness
 * (c2sp.org/tlog-witness): a good chain is cosigned, a fork is refused and its proof kept,
 * a bad proof is refused, and a restart changes nothing it promised.
 */
const ORIGIN = 'passerelle.example/ledger';
const logKey = generateKeyPair(ORIGIN, SIG_ED25519);
const logVkey = formatVkey(ORIGIN, SIG_ED25519, logKey.publicKey);

function history(prefix: string, forkAt = Infinity) {
  const leaves: Hash[] = [...Array(32)].map((_, i) => leafHash(i < forkAt ? `entry:${i}` : `${prefix}:${i}`));
  const checkpoint = (size: number) => signCheckpoint({ origin: ORIGIN, size, rootHash: size ? rootHash(leaves.slice(0, size)) : EMPTY_TREE_ROOT, extensions: [] }, [ed25519Signer(logKey)]);
  const proof = (from: number, to: number) => (from === 0 || from === to ? [] : consistencyProof(from, leaves.slice(0, to)));
  return { leaves, checkpoint, proof, request: (from: number, to: number) => formatAddCheckpointRequest({ oldSize: from, proof: proof(from, to), checkpoint: checkpoint(to) }) };
}
const honest = history('entry');
const forked = history('forged', 5);

describe('passerelle witness (built CLI, HTTP)', () => {
  let dir: string;
  let keyFile: string;
  let stateDir: string;
  let witnessVkey: string;
  let witness: RunningApp;
  let base: string;

  async function serve(): Promise<void> {
    witness = await startApp('cli', {}, { logLine: /listening on http:\/\/127\.0\.0\.1:\d+/ }, ['witness', 'serve', '--key', keyFile, '--state', stateDir, '--log', `${ORIGIN}=${logVkey}`, '--port', '0']);
    const line = witness.lines.find((l) => /listening on/.test(l))!;
    base = line.match(/(http:\/\/127\.0\.0\.1:\d+)/)![1];
  }
  const post = async (body: string) => {
    const res = await fetch(`${base}/add-checkpoint`, { method: 'POST', body });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'witness-e2e-'));
    keyFile = path.join(dir, 'witness.key');
    stateDir = path.join(dir, 'state');
    const keygen = await runApp('cli', ['witness', 'keygen', '--name', 'cai.qc.example/witness', '--out', keyFile]);
    expect(keygen.code).toBe(0);
    witnessVkey = keygen.stdout.trim();
    expect((await fs.stat(keyFile)).mode & 0o777).toBe(0o600);
    await serve();
  });

  afterAll(async () => {
    await witness?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('cosigns a good chain: each cosignature verifies with the vkey keygen printed', async () => {
    for (const [from, to] of [
      [0, 5],
      [5, 13],
    ]) {
      const res = await post(honest.request(from, to));
      expect(res.status).toBe(200);
      expect(res.body).toMatch(/^— cai\.qc\.example\/witness \S+\n$/);
      const cosigned = appendSignatures(honest.checkpoint(to), [res.body.trimEnd()]);
      expect(verifyCosignatures(cosigned, [verifierFromVkey(witnessVkey)])).toHaveLength(1);
    }
  });

  it('refuses an unknown log (404) and a checkpoint the log did not sign (403)', async () => {
    const stranger = generateKeyPair('elsewhere.example/log', SIG_ED25519);
    expect((await post(`old 0\n\n${signCheckpoint({ origin: 'elsewhere.example/log', size: 1, rootHash: honest.leaves[0], extensions: [] }, [ed25519Signer(stranger)])}`)).status).toBe(404);
    const impostor = generateKeyPair(ORIGIN, SIG_ED25519);
    expect((await post(`old 13\n\n${signCheckpoint({ origin: ORIGIN, size: 13, rootHash: rootHash(honest.leaves.slice(0, 13)), extensions: [] }, [ed25519Signer(impostor)])}`)).status).toBe(403);
    expect((await post('not a request')).status).toBe(400);
  });

  it('a fork (two roots at one size) is refused with 409 and its evidence kept, provable with the log key', async () => {
    // The forked branch agrees on the first 5 entries; its client last saw size 5, so it sends a valid proof 5 → 13 of ITS tree.
    const res = await post(forked.request(5, 13));
    expect(res).toEqual({ status: 409, type: 'text/x.tlog.size', body: '13\n' });
    // From the witness's own size, the other root at 13 is a 422 (spec: same size, roots differ), and no second record.
    expect((await post(formatAddCheckpointRequest({ oldSize: 13, proof: [], checkpoint: forked.checkpoint(13) }))).status).toBe(422);
    const printed = await runApp('cli', ['witness', 'evidence', '--state', stateDir, '--log', `${ORIGIN}=${logVkey}`]);
    expect(printed.code).toBe(0);
    expect(printed.stdout.match(/^EQUIVOCATION/gm)).toHaveLength(1);
    expect(printed.stdout).toContain(`PROVEN with the log key: size 13, roots ${rootHash(honest.leaves.slice(0, 13)).toString('base64')} and ${rootHash(forked.leaves.slice(0, 13)).toString('base64')}`);
    expect(printed.stdout).toContain(forked.checkpoint(13).trimEnd());
    const json = await runApp('cli', ['witness', 'evidence', '--state', stateDir, '--json']);
    const records = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records).toEqual([expect.objectContaining({ kind: 'same-size-different-root', origin: ORIGIN, presentedNote: forked.checkpoint(13), oldSize: 5, verdict: 'unchecked' })]);
  });

  it('a bad consistency proof is refused with 422 and nothing is cosigned', async () => {
    const proof = honest.proof(13, 21).map((h, i) => (i === 1 ? Buffer.alloc(32, 9) : h));
    const res = await post(formatAddCheckpointRequest({ oldSize: 13, proof, checkpoint: honest.checkpoint(21) }));
    expect(res.status).toBe(422);
    expect(res.body).toContain('does not verify');
    const hash = createHash('sha256').update(ORIGIN).digest('hex');
    expect(await (await fetch(`${base}/${hash}/checkpoint`)).text()).toContain(`${ORIGIN}\n13\n`);
  });

  it('a restart keeps its state: no second trust-on-first-use, the evidence survives, the honest chain continues', async () => {
    await witness.stop();
    expect(await witness.exited).toBe(0);
    await serve();
    expect(await post(forked.request(0, 13))).toEqual({ status: 409, type: 'text/x.tlog.size', body: '13\n' });
    const next = await post(honest.request(13, 21));
    expect(next.status).toBe(200);
    const hash = createHash('sha256').update(ORIGIN).digest('hex');
    const stored = await (await fetch(`${base}/${hash}/checkpoint`)).text();
    expect(stored.startsWith(`${ORIGIN}\n21\n`)).toBe(true);
    expect(verifyCosignatures(stored, [verifierFromVkey(witnessVkey)])).toHaveLength(1);
    const printed = await runApp('cli', ['witness', 'evidence', '--state', stateDir]);
    expect(printed.stdout.match(/^EQUIVOCATION/gm)).toHaveLength(1);
  });

  it('refuses to serve with a key file others can read, or a second witness on the same state', async () => {
    const loose = path.join(dir, 'loose.key');
    await fs.copyFile(keyFile, loose);
    await fs.chmod(loose, 0o644);
    const r1 = await runApp('cli', ['witness', 'serve', '--key', loose, '--state', path.join(dir, 'other'), '--log', `${ORIGIN}=${logVkey}`, '--port', '0']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain('readable by others');
    const r2 = await runApp('cli', ['witness', 'serve', '--key', keyFile, '--state', stateDir, '--log', `${ORIGIN}=${logVkey}`, '--port', '0']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('in use by process');
  });
});
