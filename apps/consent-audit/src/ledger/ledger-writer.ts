import { CompactRange, leafHash, type CompletedNode, type Hash } from '@passerelle/merkle';
import type { EntryToSequence } from '@passerelle/persistence';
import type { Logger } from '@passerelle/logger';
import { entryToSequence, type ValidEntryInput } from './ledger-entry';
import { LedgerUnavailable } from './ledger-errors';

/** A sequenced entry as the integrator reads it back, in seq order. */
export interface SequencedEntry {
  seq: number;
  canonical: string;
  leafHash: Hash;
}

/** The SQL side of the writer (a fake in unit tests). */
export interface LedgerWriteStore {
  /** The integrated size and the peaks of its tree, from the stored nodes. */
  loadTail(): Promise<CompactRange>;
  /** Sequences the entries (ledger_sequence_entries, one transaction); resolves with the first seq once committed. */
  sequence(entries: EntryToSequence[]): Promise<number>;
  /** Sequenced entries from seq `from` on, in seq order, at most `limit`. */
  readSequenced(from: number, limit: number): Promise<SequencedEntry[]>;
  /** Writes the nodes the integrated entries completed (idempotent: a node is the same whoever writes it). */
  writeNodes(nodes: CompletedNode[]): Promise<void>;
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
  /** most entries in one sequencing call */
  maxBatch?: number;
  /** most entries one integration pass reads */
  integrateBatch?: number;
  /** how often the integrator looks for sequenced entries (ms); it is also woken by this process's appends and by proof requests */
  integrateIntervalMs?: number;
  now?: () => Date;
  /** an integration pass added `batchSize` entries to the tree */
  onCommit?: (tree: CommittedTree, batchSize: number) => void;
}

interface Pending {
  input: ValidEntryInput;
  resolve: (a: Appended) => void;
  reject: (e: Error) => void;
}

/**
 * Sequence now, integrate soon (docs/ledger.md "Sequencing and integration").
 *
 * Sequencing: append calls of one event-loop turn go to ledger_sequence_entries() as one call; the
 * database's counter gives them dense seqs in the transaction that commits them, so every caller
 * (this process, the gateways) draws from one counter and seqs stay dense and global. A caller is
 * answered once its entry is committed: durable and sequenced, not yet in the tree.
 *
 * Integration (only the writer-role holder runs it): reads the sequenced entries after the
 * integrated size in seq order, checks each stored leaf hash against its canonical text, appends
 * the leaves to the compact range and writes the completed nodes. What proofs and tree heads read
 * is the integrated tree. Commits land in seq order (the counter's row lock), so what a read sees
 * is a dense prefix; a hole is waited out, never skipped.
 */
export class LedgerWriter {
  private queue: Pending[] = [];
  /** the integrated tree: what proofs and heads may use */
  private committedRange: CompactRange | undefined;
  private scheduled = false;
  private sequencing = 0;
  private stopped = false;
  private integrating: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private waiters: Array<{ size: number; resolve: () => void }> = [];
  /** set when a stored entry does not match its leaf hash: integration halts and says so */
  private corrupt: string | undefined;

  constructor(
    private readonly store: LedgerWriteStore,
    private readonly logger: Logger,
    private readonly opts: LedgerWriterOptions = {},
  ) {}

  /** Loads the integrated tail and starts integrating; appends are refused before this resolves. */
  async start(): Promise<void> {
    const tail = await this.store.loadTail();
    this.committedRange = tail;
    this.stopped = false;
    this.corrupt = undefined;
    this.logger.info({ treeSize: tail.size }, 'ledger writer ready');
    this.timer = setInterval(() => this.integrate(), this.opts.integrateIntervalMs ?? 25);
    this.timer.unref();
    await this.integrate();
  }

  get ready(): boolean {
    return this.committedRange !== undefined && !this.stopped;
  }

  /** The integrated tree (size and root). */
  committed(): CommittedTree | undefined {
    return this.committedRange ? { size: this.committedRange.size, root: this.committedRange.root() } : undefined;
  }

  append(input: ValidEntryInput): Promise<Appended> {
    if (this.stopped || !this.committedRange) {
      return Promise.reject(new LedgerUnavailable('this consent-audit instance is not the ledger writer: appends are refused'));
    }
    return new Promise<Appended>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Resolves true once the tree holds `size` entries, false if `timeoutMs` passes first. Wakes the
   * integrator at once: a proof asked for right after an exchange waits one pass, not a tick.
   */
  async waitIntegrated(size: number, timeoutMs: number): Promise<boolean> {
    if ((this.committedRange?.size ?? 0) >= size) return true;
    let timer: NodeJS.Timeout | undefined;
    const reached = new Promise<boolean>((resolve) => {
      const waiter = { size, resolve: () => resolve(true) };
      this.waiters.push(waiter);
      timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(false);
      }, timeoutMs);
    });
    void this.integrate();
    const ok = await reached;
    clearTimeout(timer);
    return ok;
  }

  /** Refuses new appends, waits for the sequencing calls in flight, integrates what is committed, stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.queue.length || this.scheduled || this.sequencing) await new Promise((r) => setTimeout(r, 5));
    clearInterval(this.timer);
    await this.integrating;
    if (this.committedRange && !this.corrupt) await this.integrate(true).catch(() => undefined);
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    // Let the callers that arrived in the same I/O phase join the same call.
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length) this.sequenceBatch(this.queue.splice(0, this.opts.maxBatch ?? 2000));
    });
  }

  private sequenceBatch(batch: Pending[]) {
    const time = (this.opts.now?.() ?? new Date()).toISOString();
    let rows: EntryToSequence[];
    try {
      rows = batch.map((p) => entryToSequence(time, p.input));
    } catch (e) {
      for (const p of batch) p.reject(e as Error);
      return;
    }
    this.sequencing += 1;
    this.store.sequence(rows).then(
      (first) => {
        this.sequencing -= 1;
        batch.forEach((p, i) => {
          const seq = first + i;
          p.resolve({ seq, time, leafHash: leafHash(`${rows[i].prefix}${seq}${rows[i].suffix}`) });
        });
        void this.integrate();
      },
      (err: Error) => {
        this.sequencing -= 1;
        // The transaction rolled back: no seq was taken, nothing was written.
        this.logger.error({ err, batchSize: batch.length }, 'ledger entries not sequenced; their callers get an error');
        const e = new LedgerUnavailable('the ledger could not commit this entry; nothing was recorded, try again');
        for (const p of batch) p.reject(e);
      },
    );
  }

  /** One integration run at a time; a call during a run asks for another right after it. */
  private integrate(final = false): Promise<void> {
    if ((this.stopped && !final) || !this.committedRange || this.corrupt) return Promise.resolve();
    if (this.integrating) {
      this.again = true;
      return this.integrating;
    }
    this.integrating = (async () => {
      try {
        do {
          this.again = false;
          while (await this.integrateOnce()) {
            /* a full page: read on */
          }
        } while (this.again && !this.corrupt);
      } catch (err) {
        this.logger.error({ err }, 'ledger integration pass failed; retrying');
        // The nodes of a failed pass may or may not be in: they are idempotent, the range is reloaded.
        this.committedRange = await this.store.loadTail().catch(() => this.committedRange);
      } finally {
        this.integrating = undefined;
      }
    })();
    return this.integrating;
  }

  /** Integrates one page of sequenced entries; true when the page was full (more may follow). */
  private async integrateOnce(): Promise<boolean> {
    const range = this.committedRange!;
    const limit = this.opts.integrateBatch ?? 5000;
    const entries = await this.store.readSequenced(range.size, limit);
    if (entries.length === 0) return false;
    const next = range.clone();
    const nodes: CompletedNode[] = [];
    for (const e of entries) {
      if (e.seq !== next.size) break; // a hole is a transaction not yet visible: never skip it
      if (!leafHash(e.canonical).equals(e.leafHash)) {
        this.corrupt = `entry ${e.seq}: its stored leaf hash is not the hash of its canonical text`;
        this.logger.error({ seq: e.seq }, 'ledger integration halted: a sequenced entry does not match its leaf hash');
        break;
      }
      for (const n of next.append(e.leafHash)) nodes.push(n);
    }
    const added = next.size - range.size;
    if (added === 0) return false;
    await this.store.writeNodes(nodes);
    this.committedRange = next;
    this.opts.onCommit?.({ size: next.size, root: next.root() }, added);
    this.waiters = this.waiters.filter((w) => (w.size <= next.size ? (w.resolve(), false) : true));
    return entries.length === limit && added === entries.length;
  }
}
