import { CompactRange, leafHash, type CompletedNode, type Hash } from '@passerelle/merkle';
import type { Logger } from '@passerelle/logger';
import { buildEntry, type ValidEntryInput } from './ledger-entry';
import { LedgerUnavailable } from './ledger-errors';

/** One row of ledger_entries as the writer prepares it. */
export interface EntryRow {
  seq: number;
  time: string;
  canonical: string;
  leafHash: Hash;
  input: ValidEntryInput;
}

/** One batch's transaction, holding its place in the commit chain. */
export interface BatchTransaction {
  /**
   * Waits until the transaction of batch `after` (if given) has ended, then writes the rows and
   * nodes and commits — but only if entry `rows[0].seq - 1` is committed by then; otherwise
   * rolls back and throws. Rolls back on any error.
   */
  writeAndCommit(after: number | undefined, rows: EntryRow[], nodes: CompletedNode[]): Promise<void>;
}

/** The SQL side of the writer (a fake in unit tests). */
export interface LedgerWriteStore {
  /** The committed size and the peaks of its tree, from the stored nodes. */
  loadTail(): Promise<CompactRange>;
  /**
   * Writes a batch in one statement (its own transaction), only if entry `rows[0].seq - 1` is
   * committed; resolves once committed. Used when batches are not pipelined.
   */
  appendBatch(rows: EntryRow[], nodes: CompletedNode[]): Promise<void>;
  /** Opens the transaction of batch `batchNo`; resolves once it holds that place in the chain. */
  begin(batchNo: number): Promise<BatchTransaction>;
}

export interface Appended {
  seq: number;
  time: string;
  leafHash: Hash;
}

export interface CommittedTree {
  size: number;
  root: Hash;
}

export interface LedgerWriterOptions {
  /** most entries in one batch */
  maxBatch?: number;
  /**
   * Most batches in flight at once. 1 (the default): one statement, one round trip per batch,
   * best when a commit is cheap (local disk). Above 1: pipelined commits chained in the
   * database (four round trips per batch), worth it only when a commit's WAL flush is slow.
   */
  pipelineDepth?: number;
  now?: () => Date;
  onCommit?: (tree: CommittedTree, batchSize: number) => void;
}

interface Pending {
  input: ValidEntryInput;
  resolve: (a: Appended) => void;
  reject: (e: Error) => void;
}

interface Batch {
  no: number;
  pending: Pending[];
  rows: EntryRow[];
  /** the tree once this batch is committed */
  next: CompactRange;
}

/**
 * Group commit. Append calls queue up; a batch takes what is queued, gets consecutive seqs in
 * memory, is hashed, and is written with its newly complete tree nodes in one transaction;
 * every caller of a batch is answered only after its COMMIT. While a batch is in flight the
 * next one gathers, so batches grow with the load and share the commit's cost.
 *
 * Optionally (`pipelineDepth` > 1) several batches are in flight on their own connections,
 * chained in the database: batch k holds a lock for its whole transaction, and batch k+1 waits
 * for it to end and writes only if k's last entry is then committed. Either way commits land
 * in seq order and no batch ever commits after a failed one: no gap, no reuse.
 *
 * Only one process may do this (seqs are assigned here): the owner holds the writer lock. A
 * failed batch fails its callers (and those of the batches chained behind it), and the tail is
 * reloaded from the database before the next batch.
 */
export class LedgerWriter {
  private queue: Pending[] = [];
  /** the tree once every committed batch is in: what readers may see */
  private committedRange: CompactRange | undefined;
  /** the tree once every batch in flight is in: where the next batch starts */
  private tentative: CompactRange | undefined;
  private inflight: Batch[] = [];
  private batchNo = 0;
  private opening = false;
  private failed = false;
  private scheduled = false;
  private reloading: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: LedgerWriteStore,
    private readonly logger: Logger,
    private readonly opts: LedgerWriterOptions = {},
  ) {}

  /** Loads the tail; appends are refused before this resolves. */
  async start(): Promise<void> {
    const tail = await this.store.loadTail();
    this.committedRange = tail;
    this.tentative = tail.clone();
    this.stopped = false;
    this.failed = false;
    this.logger.info({ treeSize: tail.size }, 'ledger writer ready');
  }

  get ready(): boolean {
    return this.committedRange !== undefined && !this.stopped;
  }

  /** The committed tree (size and root), as of the last COMMIT. */
  committed(): CommittedTree | undefined {
    return this.committedRange ? { size: this.committedRange.size, root: this.committedRange.root() } : undefined;
  }

  append(input: ValidEntryInput): Promise<Appended> {
    if (this.stopped || (!this.committedRange && !this.reloading)) {
      return Promise.reject(new LedgerUnavailable('this consent-audit instance is not the ledger writer: appends are refused'));
    }
    return new Promise<Appended>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** Refuses new appends and waits for the queued ones to be committed (or failed). */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.queue.length || this.inflight.length || this.scheduled || this.reloading) await new Promise((r) => setTimeout(r, 5));
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    // Let the callers that arrived in the same I/O phase join the same batch.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Starts batches while there is work, room in the pipeline, and no failure to clear up. */
  private pump() {
    while (this.queue.length && !this.opening && !this.failed && !this.reloading && this.inflight.length < (this.opts.pipelineDepth ?? 1)) {
      if (!this.tentative) {
        this.failAll(this.queue.splice(0), new LedgerUnavailable('the ledger is unavailable: its state could not be read from the database'));
        return;
      }
      this.startBatch(this.tentative);
    }
  }

  private startBatch(from: CompactRange) {
    const pending = this.queue.splice(0, this.opts.maxBatch ?? 2000);
    const next = from.clone();
    const time = (this.opts.now?.() ?? new Date()).toISOString();
    const rows: EntryRow[] = [];
    const nodes: CompletedNode[] = [];
    for (const p of pending) {
      const seq = next.size;
      const { canonical } = buildEntry(seq, time, p.input);
      const leaf = leafHash(canonical);
      rows.push({ seq, time, canonical, leafHash: leaf, input: p.input });
      for (const n of next.append(leaf)) nodes.push(n);
    }
    const batch: Batch = { no: ++this.batchNo, pending, rows, next };
    const after = this.inflight.length ? this.inflight[this.inflight.length - 1].no : undefined;
    this.inflight.push(batch);
    this.tentative = next;
    if ((this.opts.pipelineDepth ?? 1) === 1) {
      this.store.appendBatch(rows, nodes).then(
        () => this.settle(batch),
        (e: Error) => this.settle(batch, e),
      );
      return;
    }
    this.opening = true;
    void (async () => {
      let tx: BatchTransaction;
      try {
        tx = await this.store.begin(batch.no);
      } catch (e) {
        this.opening = false;
        return this.settle(batch, e as Error);
      }
      // This batch holds its place in the chain: the next one may open now.
      this.opening = false;
      this.pump();
      try {
        await tx.writeAndCommit(after, rows, nodes);
      } catch (e) {
        return this.settle(batch, e as Error);
      }
      this.settle(batch);
    })();
  }

  private settle(batch: Batch, error?: Error) {
    this.inflight.splice(this.inflight.indexOf(batch), 1);
    if (error) {
      if (!this.failed) {
        this.logger.error({ err: error, batchSize: batch.rows.length, firstSeq: batch.rows[0].seq }, 'ledger batch failed; its callers get an error and the tail is reloaded');
      }
      this.failed = true;
      this.failAll(batch.pending, new LedgerUnavailable('the ledger could not commit this entry; nothing was recorded, try again'));
    } else {
      // Committed; so is every batch before it (the chain guarantees it), whatever order the answers arrive in.
      if (!this.committedRange || batch.next.size > this.committedRange.size) this.committedRange = batch.next;
      batch.pending.forEach((p, i) => p.resolve({ seq: batch.rows[i].seq, time: batch.rows[i].time, leafHash: batch.rows[i].leafHash }));
      this.opts.onCommit?.({ size: this.committedRange.size, root: this.committedRange.root() }, batch.rows.length);
    }
    if (this.failed && this.inflight.length === 0 && !this.opening) void this.reload();
    else this.pump();
  }

  private failAll(batch: Pending[], error: Error) {
    for (const p of batch) p.reject(error);
  }

  /** After a failure: a batch may or may not have committed; the database says which. */
  private reload(): Promise<void> {
    this.reloading ??= (async () => {
      try {
        const tail = await this.store.loadTail();
        this.committedRange = tail;
        this.tentative = tail.clone();
        this.logger.warn({ treeSize: tail.size }, 'ledger tail reloaded from the database');
      } catch (e) {
        this.committedRange = undefined;
        this.tentative = undefined;
        this.logger.error({ err: e }, 'ledger tail could not be reloaded; appends are refused until it is');
        this.scheduleRetry();
      } finally {
        this.failed = false;
        this.reloading = undefined;
      }
      this.pump();
    })();
    return this.reloading;
  }

  private scheduleRetry() {
    setTimeout(() => {
      if (this.stopped || this.committedRange) return;
      void this.reload();
    }, 1000).unref();
  }
}
