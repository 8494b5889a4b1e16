import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet, type KeyLike } from 'jose';
import { canonicalize } from 'json-canonicalize';
import { consistencyProof, leafHash, rootHash } from '@passerelle/merkle';
import * as cp from '@passerelle/checkpoint';
import { parsePolicy } from '@passerelle/witness';
import { checkTreeHead, verifyLedger, type LedgerSource, type SthJson, brokenPromise } from './verify-ledger';

interface Key {
  privateKey: KeyLike;
  jwks: JSONWebKeySet;
}

/** The audit log's key, published marked for tree heads (as the gateway's JWKS serves it). */
async function gatewayKey(kid = 'log-1'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  return { privateKey, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig', signs: 'tree-head+jwt' } as JSONWebKeySet['keys'][number]] } };
}

/** The gateway's response key, published unmarked beside the log's. */
async function responseKey(kid = 'gateway-1'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  return { privateKey, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] } };
}

const entry = (seq: number) => ({ seq, time: '2026-01-01T00:00:00.000Z', agency: 'ca.esdc', kid: 'k', jti: `j${seq}`, purpose: 'JOB_MATCHING', operation: 'graphql:claimant', decision: 'PERMIT', reason: 'ok', subjects: [], fields: ['province'], request_sha256: '', response_sha256: '', request_id: `r${seq}` });

/** A gateway in memory: its entries, the ones it serves (possibly altered), signed heads. */
async function fakeGateway(n: number, key: Key) {
  const log = Array.from({ length: n }, (_, i) => entry(i));
  const leaves = () => log.map((e) => leafHash(canonicalize(e)));
  let served = log.map((e) => structuredClone(e) as Record<string, unknown>);
  let size = n;
  const calls = { entries: 0, consistency: 0 };
  const sign = async (treeSize: number, typ = 'tree-head+jwt', key2 = key): Promise<SthJson> => {
    const root = rootHash(leaves().slice(0, treeSize)).toString('base64url');
    const timestamp = 1_760_000_000_000 + treeSize;
    const jws = await new SignJWT({ tree_size: treeSize, root_hash: root, timestamp }).setProtectedHeader({ alg: 'EdDSA', kid: key2.jwks.keys[0].kid, typ }).sign(key2.privateKey);
    return { tree_size: treeSize, root_hash: root, timestamp, jws };
  };
  const source: LedgerSource = {
    jwks: async () => key.jwks,
    sth: () => sign(size),
    entries: async (start, end) => {
      calls.entries++;
      return served.slice(start, end + 1);
    },
    consistency: async (first, second) => {
      calls.consistency++;
      return consistencyProof(first, leaves().slice(0, second)).map((h) => h.toString('base64url'));
    },
  };
  return {
    log,
    source,
    calls,
    sign,
    grow: (m: number) => {
      for (let i = 0; i < m; i++) log.push(entry(log.length));
      served = log.map((e) => structuredClone(e) as Record<string, unknown>);
      size = log.length;
    },
    tamper: (seq: number, change: Record<string, unknown>) => Object.assign(served[seq], change),
  };
}

describe('audit verify (core)', () => {
  it('verifies a clean ledger, then resumes from the saved state fetching only new entries', async () => {
    const key = await gatewayKey();
    const gw = await fakeGateway(2500, key);
    const progress: number[] = [];
    const first = await verifyLedger(gw.source, { gateway: 'http://gw', onProgress: (d) => progress.push(d) });
    expect(first).toMatchObject({ ok: true, treeSize: 2500, newEntries: 2500 });
    expect(progress).toEqual([1000, 2000, 2500]);
    if (!first.ok) throw new Error('unreachable');

    gw.grow(700);
    gw.calls.entries = 0;
    const second = await verifyLedger(gw.source, { gateway: 'http://gw', state: first.state });
    expect(second).toMatchObject({ ok: true, treeSize: 3200, newEntries: 700 });
    expect(gw.calls.entries).toBe(1);
  });

  it('names the first tampered seq', async () => {
    const key = await gatewayKey();
    const gw = await fakeGateway(3000, key);
    gw.tamper(2222, { fields: [] });
    gw.tamper(2900, { agency: 'qc.mifi' });
    const out = await verifyLedger(gw.source, { gateway: 'http://gw' });
    expect(out).toEqual({ ok: false, check: 'entry', seq: 2222, message: 'tampered entry at seq 2222: its leaf hash does not match the signed tree' });
    expect(gw.calls.consistency).toBeLessThanOrEqual(13);
  });

  it('names an entry served with the wrong seq', async () => {
    const gw = await fakeGateway(50, await gatewayKey());
    gw.tamper(7, { seq: 8 });
    expect(await verifyLedger(gw.source, { gateway: 'http://gw' })).toMatchObject({ ok: false, seq: 7, message: 'tampered entry at seq 7: its seq field is not 7' });
  });

  it('refuses a rewritten history that is not consistent with the saved head', async () => {
    const key = await gatewayKey();
    const gw = await fakeGateway(100, key);
    const first = await verifyLedger(gw.source, { gateway: 'http://gw' });
    if (!first.ok) throw new Error('unreachable');
    gw.log[10].reason = 'rewritten';
    gw.grow(5);
    const out = await verifyLedger(gw.source, { gateway: 'http://gw', state: first.state });
    expect(out).toMatchObject({ ok: false, check: 'consistency', message: expect.stringContaining('does not extend the verified head of size 100') });
  });

  it('refuses a tree head signed by another key, of another type, or with other claims', async () => {
    const key = await gatewayKey();
    const other = await gatewayKey();
    const gw = await fakeGateway(10, key);
    expect(await checkTreeHead(await gw.sign(10), key.jwks)).toBeUndefined();
    expect(await checkTreeHead(await gw.sign(10, 'tree-head+jwt', other), key.jwks)).toContain("does not verify with the audit log's published keys");
    expect(await checkTreeHead(await gw.sign(10, 'gateway-response+jwt'), key.jwks)).toContain('not tree-head+jwt');
    const head = await gw.sign(10);
    expect(await checkTreeHead({ ...head, tree_size: 9 }, key.jwks)).toContain('differ from the values served');
    const out = await verifyLedger({ ...gw.source, sth: () => gw.sign(10, 'tree-head+jwt', other) }, { gateway: 'http://gw' });
    expect(out).toMatchObject({ ok: false, check: 'signature' });
  });

  it('the log signs its own tree heads: a head signed with the gateway response key is refused, though the JWKS publishes that key', async () => {
    const log = await gatewayKey();
    const gateway = await responseKey();
    const jwks = { keys: [...gateway.jwks.keys, ...log.jwks.keys] };
    const gw = await fakeGateway(10, log);
    expect(await checkTreeHead(await gw.sign(10), jwks)).toBeUndefined();
    expect(await checkTreeHead(await gw.sign(10, 'tree-head+jwt', gateway), jwks)).toContain("does not verify with the audit log's published keys");
    expect(await checkTreeHead(await gw.sign(10, 'tree-head+jwt', gateway), gateway.jwks)).toContain('publishes no audit log key');
    const out = await verifyLedger({ ...gw.source, jwks: async () => jwks, sth: () => gw.sign(10, 'tree-head+jwt', gateway) }, { gateway: 'http://gw' });
    expect(out).toMatchObject({ ok: false, check: 'signature' });
  });

  it('refuses a short page', async () => {
    const gw = await fakeGateway(1500, await gatewayKey());
    const out = await verifyLedger({ ...gw.source, entries: async (s, e) => (await gw.source.entries(s, e)).slice(1) }, { gateway: 'http://gw' });
    expect(out).toEqual({ ok: false, check: 'count', message: 'the gateway returned 999 entries for seq 0 to 999' });
  });
});

describe('audit verify (core) with hashing threads', () => {
  it('verifies, resumes and names the first tampered seq as the single-threaded path does', async () => {
    const key = await gatewayKey();
    const gw = await fakeGateway(5000, key);
    const first = await verifyLedger(gw.source, { gateway: 'http://gw', workers: 2 });
    const pure = await verifyLedger(gw.source, { gateway: 'http://gw', workers: 0 });
    expect(first).toMatchObject({ ok: true, treeSize: 5000, newEntries: 5000 });
    if (!first.ok || !pure.ok) throw new Error('unreachable');
    expect({ ...first.state, verifiedAt: '' }).toEqual({ ...pure.state, verifiedAt: '' });

    gw.grow(3100);
    const second = await verifyLedger(gw.source, { gateway: 'http://gw', state: first.state, workers: 2 });
    expect(second).toMatchObject({ ok: true, treeSize: 8100, newEntries: 3100 });

    gw.tamper(6123, { fields: [] });
    gw.tamper(7000, { seq: 7001 });
    const out = await verifyLedger(gw.source, { gateway: 'http://gw', state: first.state, workers: 2 });
    expect(out).toEqual({ ok: false, check: 'entry', seq: 6123, message: 'tampered entry at seq 6123: its leaf hash does not match the signed tree' });
    gw.tamper(6123, { fields: ['province'] });
    const out2 = await verifyLedger(gw.source, { gateway: 'http://gw', workers: 1 });
    expect(out2).toEqual({ ok: false, check: 'entry', seq: 7000, message: 'tampered entry at seq 7000: its seq field is not 7000' });
  });
});

describe('audit verify with a witness policy (issue 18)', () => {
  const ORIGIN = 'passerelle-test/ledger';
  const logPair = cp.generateKeyPair(ORIGIN, cp.SIG_ED25519);
  const logVkey = cp.formatVkey(ORIGIN, cp.SIG_ED25519, logPair.publicKey);
  const witnesses = ['qc.cai', 'ca.opc'].map((name) => ({ name, pair: cp.generateKeyPair(name, cp.SIG_COSIGNATURE_V1) }));
  const witnessKeys = new Map(witnesses.map((w) => [w.name, cp.formatVkey(w.name, cp.SIG_COSIGNATURE_V1, w.pair.publicKey)]));
  const policy = parsePolicy('2 of {qc.cai, ca.opc}');

  /** A checkpoint of `leaves[0..size)` signed by the log and cosigned by the named witnesses. */
  function checkpointOf(leaves: Buffer[], size: number, cosigners: string[]): string {
    const note = cp.signCheckpoint({ origin: ORIGIN, size, rootHash: rootHash(leaves.slice(0, size)), extensions: [] }, [cp.ed25519Signer(logPair)]);
    const text = cp.parseNote(note).text;
    return cp.appendSignatures(note, cosigners.map((n) => cp.cosigner(witnesses.find((w) => w.name === n)!.pair).cosign(text, 1_760_000_000)));
  }

  it('accepts a ledger whose checkpoint both witnesses cosigned, and says who witnessed it', async () => {
    const key = await gatewayKey();
    const gw = await fakeGateway(40, key);
    const leaves = gw.log.map((e) => leafHash(canonicalize(e)));
    const source = { ...gw.source, checkpoint: async () => checkpointOf(leaves, 30, ['qc.cai', 'ca.opc']) };
    const out = await verifyLedger(source, { gateway: 'http://gw', workers: 0, witness: { policy, logVkey, witnessKeys } });
    expect(out).toMatchObject({ ok: true, witnessed: { size: 30, by: ['ca.opc', 'qc.cai'] } });
  });

  it('refuses a checkpoint without the cosignatures the policy requires, naming the missing witnesses', async () => {
    const key = await gatewayKey();
    const gw = await fakeGateway(40, key);
    const leaves = gw.log.map((e) => leafHash(canonicalize(e)));
    const one = await verifyLedger({ ...gw.source, checkpoint: async () => checkpointOf(leaves, 40, ['qc.cai']) }, { gateway: 'http://gw', workers: 0, witness: { policy, logVkey, witnessKeys } });
    expect(one).toMatchObject({ ok: false, check: 'witness' });
    expect((one as { message: string }).message).toMatch(/missing: ca\.opc \(cosigned by: qc\.cai\)/);
    const none = await verifyLedger({ ...gw.source, checkpoint: async () => checkpointOf(leaves, 40, []) }, { gateway: 'http://gw', workers: 0, witness: { policy, logVkey, witnessKeys } });
    expect((none as { message: string }).message).toMatch(/missing: ca\.opc, qc\.cai \(cosigned by none\)/);
  });

  it('catches a forked log: the history served is not the one the witnesses cosigned (two heads of one size)', async () => {
    const key = await gatewayKey();
    const gw = await fakeGateway(40, key);
    // What the witnesses saw: the same 40 entries but entry 12 different (the other branch of the fork).
    const seen = gw.log.map((e, i) => leafHash(canonicalize(i === 12 ? { ...e, agency: 'qc.mifi' } : e)));
    const same = await verifyLedger({ ...gw.source, checkpoint: async () => checkpointOf(seen, 40, ['qc.cai', 'ca.opc']) }, { gateway: 'http://gw', workers: 0, witness: { policy, logVkey, witnessKeys } });
    expect(same).toMatchObject({ ok: false, check: 'witness' });
    expect((same as { message: string }).message).toMatch(/SPLIT VIEW: .*size 40 and different roots/);
    const older = await verifyLedger({ ...gw.source, checkpoint: async () => checkpointOf(seen, 30, ['qc.cai', 'ca.opc']) }, { gateway: 'http://gw', workers: 0, witness: { policy, logVkey, witnessKeys } });
    expect((older as { message: string }).message).toMatch(/SPLIT VIEW: the ledger served is not an extension of the checkpoint of size 30/);
  });

  it('refuses a checkpoint not signed by the log key it was given', async () => {
    const key = await gatewayKey();
    const gw = await fakeGateway(10, key);
    const other = cp.generateKeyPair(ORIGIN, cp.SIG_ED25519);
    const forged = cp.signCheckpoint({ origin: ORIGIN, size: 10, rootHash: rootHash(gw.log.map((e) => leafHash(canonicalize(e)))), extensions: [] }, [cp.ed25519Signer(other)]);
    const out = await verifyLedger({ ...gw.source, checkpoint: async () => forged }, { gateway: 'http://gw', workers: 0, witness: { policy, logVkey, witnessKeys } });
    expect(out).toMatchObject({ ok: false, check: 'witness' });
    expect((out as { message: string }).message).toMatch(/no signature from a trusted key/);
  });
});

describe('audit verify: every promised audit_seq is in a signed tree head within the maximum merge delay', () => {
  const NOW = 1_800_000_000_000;

  it('reports a queued entry that was never integrated (integrator stopped), naming its seq and how late it is', async () => {
    const key = await gatewayKey();
    const gw = await fakeGateway(10, key);
    // Entries 10..12 were sequenced (answered with audit_seq 10, 11, 12) 4 s ago; the head is still at 10.
    const stalled = async () => ({ ...(await gw.sign(10)), sequenced_size: 13, pending_since: NOW - 4000, mmd_ms: 1000 });
    const out = await verifyLedger({ ...gw.source, sth: stalled }, { gateway: 'http://gw', now: () => NOW });
    expect(out).toMatchObject({ ok: false, check: 'promise', seq: 10 });
    expect(!out.ok && out.message).toMatch(/audit_seq 10 was sequenced at .* but is not in a signed tree head 3000 ms past the maximum merge delay of 1000 ms \(3 promised entries from seq 10/);
  });

  it('accepts entries still within the delay, and a head with nothing pending', async () => {
    const key = await gatewayKey();
    const gw = await fakeGateway(10, key);
    const fresh = async () => ({ ...(await gw.sign(10)), sequenced_size: 12, pending_since: NOW - 900, mmd_ms: 1000 });
    expect(await verifyLedger({ ...gw.source, sth: fresh }, { gateway: 'http://gw', now: () => NOW })).toMatchObject({ ok: true, treeSize: 10 });
    const none = async () => ({ ...(await gw.sign(10)), sequenced_size: 10, pending_since: 0, mmd_ms: 1000 });
    expect(await verifyLedger({ ...gw.source, sth: none }, { gateway: 'http://gw', now: () => NOW })).toMatchObject({ ok: true });
  });

  it('brokenPromise is exact at the boundary: late only once past the MMD', () => {
    const sth = { tree_size: 5, root_hash: '', timestamp: 0, jws: '', sequenced_size: 6, pending_since: NOW - 1000, mmd_ms: 1000 };
    expect(brokenPromise(sth, NOW)).toBeUndefined();
    expect(brokenPromise(sth, NOW + 1)).toEqual({ seq: 5, sequencedAt: NOW - 1000, lateByMs: 1, mmdMs: 1000, pending: 1 });
    expect(brokenPromise({ ...sth, sequenced_size: undefined, pending_since: undefined, mmd_ms: undefined }, NOW + 10_000)).toBeUndefined();
  });
});
