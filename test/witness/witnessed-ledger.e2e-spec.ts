/**
 * The ledger witnessed (issue 18), against the built consent-audit, gateway and CLI: consent-audit
 * signs C2SP checkpoints under its own note key, its collector has the two witnesses the registry
 * names cosign them, GET /audit/checkpoint serves the cosigned note, and `passerelle audit verify
 * --witness-policy` accepts it — and refuses, naming the missing witness, once one stops cosigning.
 * A fork (the log's key signing another root for a size a witness cosigned) is refused by the
 * witness, which keeps the proof of equivocation.
 *
 * The witnesses run in this process (libs/witness over node:http) so that the test can stop one and
 * read its evidence; the CLI's own `witness serve` is covered by witness.e2e-spec.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ed25519Signer, parsePrivateKey, parseNote, signCheckpoint, verifierFromVkey } from '@passerelle/checkpoint';
import { createTestDatabase, createTestRegistry, runApp, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';
import { formatAddCheckpointRequest, listEvidence, verifyEvidence } from '@passerelle/witness';
import { startWitness, type TestWitness } from './http-witness';

jest.setTimeout(120_000);

let db: TestDatabase;
let registry: TestRegistry;
let stack: TrustStack;
let cai: TestWitness;
let opc: TestWitness;
let keyFile: string;
let logVkeyFile: string;

const operator = () => registry.client('ops.audit', stack.gateway.url);
const checkpoint = async () => (await operator().get<{ tree_size: number; checkpoint: string; cosigned_by: string[]; log_vkey: string }>('/audit/checkpoint', 'AUDIT_REVIEW')).json;
const verify = (policy: string) =>
  runApp('cli', ['audit', 'verify', '--gateway', stack.gateway.url, '--agency', 'ops.audit', '--key', keyFile, '--gateway-id', registry.document.gatewayId, '--no-progress', '--witness-policy', policy, '--log-vkey', logVkeyFile, '--registry', registry.file]);

/** Waits (on observed progress) for a checkpoint newer than `after` whose cosigners are exactly `by`. */
async function cosignedCheckpoint(after: number, by: string[]) {
  for (;;) {
    await operator().get('/audit/sth', 'AUDIT_REVIEW'); // each read is an entry: the ledger grows, new checkpoints follow
    const cp = await checkpoint();
    if (cp.tree_size > after && JSON.stringify(cp.cosigned_by) === JSON.stringify(by)) return cp;
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  [cai, opc] = await Promise.all([startWitness('qc.cai'), startWitness('ca.opc')]);
  db = await createTestDatabase('witnessed');
  registry = await createTestRegistry();
  await registry.write({ ...registry.document, witnesses: [cai, opc].map((w) => ({ name: w.name, vkey: w.vkey, url: w.url })) });
  stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
  // The witnesses learn the log's note key out of band (here: the public file consent-audit wrote).
  logVkeyFile = path.join(stack.secretsDir, 'public', 'log-note.vkey');
  const logKey = verifierFromVkey(fs.readFileSync(logVkeyFile, 'utf8').trim());
  for (const w of [cai, opc]) w.logs.set(logKey.name, [logKey]);
  keyFile = path.join(stack.secretsDir, 'ops.audit.private.jwk.json');
  fs.writeFileSync(keyFile, JSON.stringify(registry.activeKey('ops.audit').privateJwk), { mode: 0o600 });
});

afterAll(async () => {
  await stack?.stop();
  await db?.drop();
  await registry?.cleanup();
  for (const w of [cai, opc]) if (w?.server.listening) await new Promise((r) => w.server.close(r));
});

describe('witnessed checkpoints', () => {
  it('the log key of checkpoints is its own: 0600, consent-audit only, neither the JWS log key nor the gateway key', () => {
    const file = path.join(stack.secretsDir, 'log-signing', 'log-note.key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const pair = parsePrivateKey(fs.readFileSync(file, 'utf8'));
    expect(pair.name).toBe(`${registry.document.gatewayId}/ledger`);
    expect(fs.readFileSync(path.join(stack.secretsDir, 'log-signing', 'log-signing.json'), 'utf8')).not.toContain(pair.seed.toString('base64url'));
  });

  it('both witnesses cosign; /audit/checkpoint serves the cosigned note and audit verify accepts "2 of {qc.cai, ca.opc}"', async () => {
    const cp = await cosignedCheckpoint(0, ['ca.opc', 'qc.cai']);
    const note = parseNote(cp.checkpoint);
    expect(note.signatures.map((s) => s.name).sort()).toEqual(['ca.opc', `${registry.document.gatewayId}/ledger`, 'qc.cai']);
    const ok = await verify('2 of {qc.cai, ca.opc}');
    expect(ok.stderr).not.toContain('FAILED');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/cosigned by ca\.opc, qc\.cai/);
  });

  it('a checkpoint without the required cosignatures is refused, naming the missing witness (exchanges never wait for witnesses)', async () => {
    const before = await checkpoint();
    await new Promise((r) => opc.server.close(r)); // the federal commissioner's witness goes away
    const cp = await cosignedCheckpoint(before.tree_size, ['qc.cai']);
    expect(cp.cosigned_by).toEqual(['qc.cai']);
    const refused = await verify('2 of {qc.cai, ca.opc}');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/missing: ca\.opc \(cosigned by: qc\.cai\)/);
    expect((await verify('1 of {qc.cai, ca.opc}')).code).toBe(0);
  });

  it('a forked log (a second root for a size the witness cosigned) is refused by the witness, which keeps the proof', async () => {
    // Only the log's note key can sign a fork: the attacker here is the log itself.
    const logPair = parsePrivateKey(fs.readFileSync(path.join(stack.secretsDir, 'log-signing', 'log-note.key'), 'utf8'));
    // consent-audit keeps sending the witness new checkpoints: when one lands between reading the
    // witness's latest size and presenting the fork, the witness answers 409 (its size moved on,
    // C2SP tlog-witness), and the fork is presented again at the size it holds now.
    let latest: { size: number };
    let res: Response;
    let attempts = 0;
    do {
      latest = (await cai.state.store.get(`${registry.document.gatewayId}/ledger`))!.latest!;
      const fork = signCheckpoint({ origin: logPair.name, size: latest.size, rootHash: Buffer.alloc(32, 7), extensions: [] }, [ed25519Signer(logPair)]);
      res = await fetch(`${cai.url}/add-checkpoint`, { method: 'POST', body: formatAddCheckpointRequest({ oldSize: latest.size, proof: [], checkpoint: fork }) });
    } while (res.status === 409 && ++attempts < 50);
    expect(res.status).toBe(422);
    const [evidence] = await listEvidence(cai.state.store);
    expect(evidence.kind).toBe('same-size-different-root');
    const proven = verifyEvidence(evidence, cai.logs.get(logPair.name)!);
    expect(proven).toMatchObject({ proven: true, size: latest.size });

    // The auditor's command prints the proof from the two notes alone.
    const dir = fs.mkdtempSync(path.join(stack.secretsDir, 'evidence-'));
    fs.writeFileSync(path.join(dir, 'a.note'), evidence.cosignedNote);
    fs.writeFileSync(path.join(dir, 'b.note'), evidence.presentedNote);
    const printed = await runApp('cli', ['audit', 'equivocation', '--log-vkey', logVkeyFile, path.join(dir, 'a.note'), path.join(dir, 'b.note')]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain(`EQUIVOCATION PROVEN: ${logPair.name} signed two checkpoints of size ${latest.size} with different roots`);
  });
});
