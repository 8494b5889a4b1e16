import pino from 'pino';
import { CompactRange, leafHash, nodeKeyString, rootHash, storedRootHash, mapNodeReader, type CompletedNode, type Hash } from '@passerelle/merkle';
import { LedgerWriter, type BatchTransaction, type EntryRow, type LedgerWriteStore } from './ledger-writer';
import type { ValidEntryInput } from './ledger-entry';
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
 * An in-memory store with the database's chain semantics: batch k+1 waits for k's transaction
 * to end and writes only if k's last entry is committed. It can be told to fail.
 */
class FakeStore implements LedgerWriteStore {
  rows: EntryRow[] = [];
  nodes = new Map<string, Hash>();
  batches: number[] = [];
  failNext = 0;
  /** a failure AFTER the commit (e.g. the connection dropped while answering) */
  failAfterCommitNext = 0;
  loads = 0;
  open = 0;
  maxOpen = 0;
  private ends = new Map<number, Promise<void>>();

  constructor(private readonly commitMs = 3) {}

  async loadTail() {
    this.loads++;
    return CompactRange.load(this.rows.length, mapNodeReader(this.nodes));
  }

  async appendBatch(rows: EntryRow[], nodes: CompletedNode[]) {
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    try {
      await this.commit(rows, nodes);
    } finally {
      this.open--;
    }
  }

  private async commit(rows: EntryRow[], nodes: CompletedNode[]) {
    await new Promise((r) => setTimeout(r, this.commitMs));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connection reset');
    }
    if (rows[0].seq !== this.rows.length) throw new Error(`ledger chain broken at ${rows[0].seq}`);
    this.rows.push(...rows);
    for (const n of nodes) this.nodes.set(nodeKeyString(n), n.hash);
    this.batches.push(rows.length);
    if (this.failAfterCommitNext > 0) {
      this.failAfterCommitNext--;
      throw new Error('connection lost after commit');
    }
  }

  async begin(batchNo: number): Promise<BatchTransaction> {
    await new Promise((r) => setImmediate(r));
    let end!: () => void;
    this.ends.set(batchNo, new Promise<void>((r) => (end = r)));
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    return {
      writeAndCommit: async (after, rows, nodes) => {
        try {
          if (after !== undefined) await this.ends.get(after);
          await this.commit(rows, nodes);
        } finally {
          this.open--;
          end();
        }
      },
    };
  }
}

describe.each([1, 4])('LedgerWriter (group commit, pipeline depth %i)', (depth) => {
  it('gives concurrent callers consecutive unique seqs in few batches, answering after commit', async () => {
    const store = new FakeStore();
    const commits: number[] = [];
    const writer = new LedgerWriter(store, logger, { pipelineDepth: depth, onCommit: (t) => commits.push(t.size) });
    await writer.start();
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => writer.append(input(i))));
    const seqs = results.map((r) => r.seq).sort((a, b) => a - b);
    expect(seqs).toEqual([...Array(1000).keys()]);
    expect(store.rows.map((r) => r.seq)).toEqual([...Array(1000).keys()]);
    expect(store.batches.length).toBeLessThan(5);
    // Each answer's seq was committed when it resolved; the tree stored matches the reference.
    const leaves = store.rows.map((r) => leafHash(r.canonical));
    expect(writer.committed()).toEqual({ size: 1000, root: rootHash(leaves) });
    expect((await storedRootHash(1000, mapNodeReader(store.nodes))).equals(rootHash(leaves))).toBe(true);
    expect(commits[commits.length - 1]).toBe(1000);
    for (const r of results) expect(r.leafHash.equals(leaves[r.seq])).toBe(true);
  });

  it('stores each entry as the canonical JSON of the contract, with its seq and the batch time', async () => {
    const store = new FakeStore();
    const writer = new LedgerWriter(store, logger, { pipelineDepth: depth, now: () => new Date('2026-03-01T12:00:00.123Z') });
    await writer.start();
    await writer.append(input(7));
    expect(store.rows[0].canonical).toBe(
      '{"agency":"qc.mifi","decision":"PERMIT","fields":["province"],"jti":"jti7","kid":"mifi-2026-01","operation":"graphql:claimant","purpose":"JOB_MATCHING","reason":"ok","request_id":"r7","request_sha256":"","response_sha256":"","seq":0,"subjects":[],"time":"2026-03-01T12:00:00.123Z"}',
    );
  });

  it('splits a burst into batches of at most maxBatch', async () => {
    const store = new FakeStore();
    const writer = new LedgerWriter(store, logger, { pipelineDepth: depth, maxBatch: 100 });
    await writer.start();
    await Promise.all(Array.from({ length: 450 }, (_, i) => writer.append(input(i))));
    expect(Math.max(...store.batches)).toBeLessThanOrEqual(100);
    expect(store.batches.reduce((a, b) => a + b, 0)).toBe(450);
  });

  it('fails every caller of a failed batch, reloads the tail, and continues without gaps', async () => {
    const store = new FakeStore();
    const writer = new LedgerWriter(store, logger, { pipelineDepth: depth });
    await writer.start();
    await Promise.all(Array.from({ length: 10 }, (_, i) => writer.append(input(i))));
    store.failNext = 1;
    const failed = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => writer.append(input(100 + i))));
    const rejected = failed.filter((r) => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(LedgerUnavailable);
    expect(store.loads).toBe(2);
    const after = await Promise.all(Array.from({ length: 5 }, (_, i) => writer.append(input(200 + i))));
    expect(store.rows.map((r) => r.seq)).toEqual([...Array(store.rows.length).keys()]);
    expect(Math.min(...after.map((a) => a.seq))).toBe(store.rows.length - 5);
  });

  it('keeps at most pipelineDepth batches in flight behind a slow commit, committing in seq order', async () => {
    const store = new FakeStore(15);
    const writer = new LedgerWriter(store, logger, { pipelineDepth: depth, maxBatch: 50 });
    await writer.start();
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => writer.append(input(i))));
    // Several batches in flight when pipelined, exactly one otherwise.
    if (depth > 1) expect(store.maxOpen).toBeGreaterThan(1);
    expect(store.maxOpen).toBeLessThanOrEqual(depth);
    expect(store.rows.map((r) => r.seq)).toEqual([...Array(1000).keys()]);
    expect(new Set(results.map((r) => r.seq)).size).toBe(1000);
    expect(writer.committed()!.size).toBe(1000);
  });

  it('when a batch in the pipeline fails, fails it and those chained behind it, and leaves no gap', async () => {
    const store = new FakeStore(5);
    const writer = new LedgerWriter(store, logger, { pipelineDepth: depth, maxBatch: 10 });
    await writer.start();
    store.failNext = 1;
    const settled = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => writer.append(input(i))));
    const ok = settled.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ seq: number }>).value.seq);
    expect(settled.length - ok.length).toBeGreaterThanOrEqual(10);
    expect(ok.sort((a, b) => a - b)).toEqual([...Array(ok.length).keys()]);
    expect(store.rows.map((r) => r.seq)).toEqual([...Array(ok.length).keys()]);
    const next = await writer.append(input(999));
    expect(next.seq).toBe(ok.length);
  });

  it('after a failure that did commit, reloads the tail so no seq is handed out twice', async () => {
    const store = new FakeStore();
    const writer = new LedgerWriter(store, logger, { pipelineDepth: depth });
    await writer.start();
    store.failAfterCommitNext = 1;
    await expect(writer.append(input(1))).rejects.toThrow('could not commit');
    const next = await writer.append(input(2));
    expect(next.seq).toBe(1);
    expect(store.rows.map((r) => r.seq)).toEqual([0, 1]);
  });

  it('refuses appends before start and after stop, and stop waits for queued entries', async () => {
    const store = new FakeStore();
    const writer = new LedgerWriter(store, logger, { pipelineDepth: depth });
    await expect(writer.append(input(0))).rejects.toThrow('not the ledger writer');
    await writer.start();
    const pending = Promise.all(Array.from({ length: 50 }, (_, i) => writer.append(input(i))));
    await writer.stop();
    expect(store.rows.length).toBe(50);
    await expect(pending).resolves.toHaveLength(50);
    await expect(writer.append(input(99))).rejects.toBeInstanceOf(LedgerUnavailable);
  });
});
