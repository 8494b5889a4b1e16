import pino from 'pino';
import { CompactRange, leafHash, nodeKeyString, rootHash, storedRootHash, mapNodeReader, type CompletedNode, type Hash } from '@passerelle/merkle';
import type { EntryToSequence } from '@passerelle/persistence';
import { LedgerWriter, type LedgerWriteStore, type SequencedEntry } from './ledger-writer';
import { buildEntry, type ValidEntryInput } from './ledger-entry';
import { LedgerUnavailable } from './ledger-errors';

const logger = pino({ level: 'silent' });

const input = (n: number): ValidEntryInput => ({
  agency: 'qc.mifi',
  kid: 'mifi-2026-01',
  jti: `jti${n}`,
  purpose: 'JOB_MATCHING',
  operation: 'graphql:claimant',
  decision: 'PERMIT',
  reason: 'ok',
  subjects: [],
  fields: ['province'],
  request_sha256: '',
  response_sha256: '',
  request_id: `r${n}`,
});

/**
 * An in-memory store with ledger_sequence_entries()'s semantics: a counter taken once per call,
 * canonical = prefix || seq || suffix, nothing taken when the call fails. Other sequencers (the
 * gateways) may add entries behind the writer's back (`external`).
 */
class FakeStore implements LedgerWriteStore {
  entries: SequencedEntry[] = [];
  nodes = new Map<string, Hash>();
  calls = 0;
  failNext = false;
  /** entries sequenced but not yet visible (a transaction not committed) */
  hidden = new Set<number>();

  async loadTail() {
    const size = [...this.nodes.keys()].filter((k) => k.startsWith('0:')).length;
    return CompactRange.load(size, mapNodeReader(this.nodes));
  }
  async sequence(rows: EntryToSequence[]): Promise<number> {
    this.calls += 1;
    await new Promise((r) => setImmediate(r));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('connection lost');
    }
    const first = this.entries.length;
    rows.forEach((r, i) => {
      const canonical = `${r.prefix}${first + i}${r.suffix}`;
      this.entries.push({ seq: first + i, canonical, leafHash: leafHash(canonical) });
    });
    return first;
  }
  external(n: number) {
    const time = new Date().toISOString();
    for (let i = 0; i < n; i++) {
      const { canonical } = buildEntry(this.entries.length, time, input(1000 + i));
      this.entries.push({ seq: this.entries.length, canonical, leafHash: leafHash(canonical) });
    }
  }
  async readSequenced(from: number, limit: number) {
    return this.entries.filter((e) => e.seq >= from && !this.hidden.has(e.seq)).slice(0, limit);
  }
  async writeNodes(nodes: CompletedNode[]) {
    for (const n of nodes) this.nodes.set(nodeKeyString(n), n.hash);
  }
}

async function started(store: FakeStore, opts = {}) {
  const w = new LedgerWriter(store, logger, { integrateIntervalMs: 10_000, ...opts });
  await w.start();
  return w;
}

describe('LedgerWriter (sequence now, integrate soon)', () => {
  it('gives concurrent callers consecutive unique seqs in one sequencing call, answering once sequenced', async () => {
    const store = new FakeStore();
    const w = await started(store);
    const out = await Promise.all(Array.from({ length: 50 }, (_, i) => w.append(input(i))));
    expect(out.map((a) => a.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(store.calls).toBe(1);
    expect(out[7].leafHash).toEqual(store.entries[7].leafHash);
    await w.stop();
  });

  it('stores each entry as the canonical JSON of the contract, with its seq and the batch time', async () => {
    const store = new FakeStore();
    const w = await started(store, { now: () => new Date('2026-05-01T00:00:00.000Z') });
    await w.append(input(0));
    const [a] = await Promise.all([w.append(input(1))]);
    expect(store.entries[a.seq].canonical).toBe(buildEntry(a.seq, '2026-05-01T00:00:00.000Z', input(1)).canonical);
    await w.stop();
  });

  it('integrates every sequenced entry, its own and other sequencers’, into the tree in seq order', async () => {
    const store = new FakeStore();
    const w = await started(store);
    await w.append(input(0));
    store.external(5);
    await w.append(input(1));
    expect(await w.waitIntegrated(7, 1000)).toBe(true);
    const leaves = store.entries.map((e) => leafHash(e.canonical));
    expect(w.committed()).toEqual({ size: 7, root: rootHash(leaves) });
    expect(await storedRootHash(7, mapNodeReader(store.nodes))).toEqual(rootHash(leaves));
    await w.stop();
  });

  it('never skips a hole: an entry not yet visible holds integration back until it is', async () => {
    const store = new FakeStore();
    const w = await started(store);
    store.external(3);
    store.hidden.add(1);
    expect(await w.waitIntegrated(3, 50)).toBe(false);
    expect(w.committed()!.size).toBe(1);
    store.hidden.clear();
    expect(await w.waitIntegrated(3, 1000)).toBe(true);
    await w.stop();
  });

  it('a failed sequencing call fails its callers and takes no seq: the next entries follow without a gap', async () => {
    const store = new FakeStore();
    const w = await started(store);
    await w.append(input(0));
    store.failNext = true;
    await expect(w.append(input(1))).rejects.toBeInstanceOf(LedgerUnavailable);
    expect((await w.append(input(2))).seq).toBe(1);
    expect(store.entries.map((e) => e.seq)).toEqual([0, 1]);
    await w.stop();
  });

  it('halts integration on an entry whose stored leaf hash is not its canonical text’s', async () => {
    const store = new FakeStore();
    const w = await started(store);
    store.external(2);
    store.entries[1] = { ...store.entries[1], leafHash: leafHash('forged') };
    expect(await w.waitIntegrated(2, 50)).toBe(false);
    expect(w.committed()!.size).toBe(1);
    await w.stop();
  });

  it('resumes from the stored nodes: a new writer continues the same tree', async () => {
    const store = new FakeStore();
    const w1 = await started(store);
    store.external(5);
    expect(await w1.waitIntegrated(5, 1000)).toBe(true);
    await w1.stop();
    store.external(3);
    const w2 = await started(store);
    expect(await w2.waitIntegrated(8, 1000)).toBe(true);
    expect(w2.committed()!.root).toEqual(rootHash(store.entries.map((e) => leafHash(e.canonical))));
    await w2.stop();
  });

  it('refuses appends before start and after stop', async () => {
    const store = new FakeStore();
    const w = new LedgerWriter(store, logger);
    await expect(w.append(input(0))).rejects.toBeInstanceOf(LedgerUnavailable);
    await w.start();
    const queued = w.append(input(1));
    await w.stop();
    expect((await queued).seq).toBe(0);
    await expect(w.append(input(2))).rejects.toBeInstanceOf(LedgerUnavailable);
  });
});
