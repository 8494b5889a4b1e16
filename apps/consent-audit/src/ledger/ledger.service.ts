import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isInternalId } from '@passerelle/crypto';
import type { consentAudit } from '@passerelle/contracts';
import { LOGGER, type Logger } from '@passerelle/logger';
import { RegistryHolder, type Registry as PasserelleRegistry } from '@passerelle/registry';
import { storedConsistencyProof, storedInclusionProof, storedRootHash, type Hash } from '@passerelle/merkle';
import { CONSENT_AUDIT_CONFIG, type ConsentAuditConfig } from '../consent-audit.config';
import { registryEntry, stampEntry, validateEntryInput, type LedgerEntryJson, type ValidEntryInput } from './ledger-entry';
import { InvalidArgument, NotFound, NotIntegrated, OutOfRange } from './ledger-errors';
import { LedgerWriter } from './ledger-writer';
import { LedgerRepository, type StoredCheckpoint, type StoredEntry, type StoredTreeHead } from './ledger.repository';
import { appendSignatures, signCheckpoint } from '@passerelle/checkpoint';
import { LOG_KEY, signTreeHead, type LogKey } from './log-key';
import { PgWriterLock } from './writer-role/writer-lock';
import { WriterRole, type Role, type WriterDuty } from './writer-role/writer-role';
import { NOTE_KEY, type NoteKey } from './note-key';

export const MAX_ENTRIES_PER_READ = 1000;
export const MAX_SEARCH_PAGE = 500;
export const MAX_APPEND_BATCH = 1000;
const DEFAULT_SEARCH_PAGE = 100;
/** The default maximum merge delay: a sequenced entry is in a signed tree head within it. */
export const DEFAULT_MMD_MS = 1000;
/** How often a standby looks whether an entry it waits for has been integrated. */
const STANDBY_POLL_MS = 20;

/**
 * The audit ledger: appends (group-committed by the one writer instance), signed tree heads,
 * entries, proofs from stored nodes, and operator search. Reads work on every instance.
 * Which instance writes is the writer role's business (writer-role/); this service is its duty.
 */
@Injectable()
export class LedgerService implements OnModuleInit, OnApplicationShutdown, WriterDuty {
  private readonly writer: LedgerWriter;
  private readonly writerRole: WriterRole;
  /** aborts when this instance stops being the writer */
  private mastership: AbortSignal | undefined;
  private headTimer: NodeJS.Timeout | undefined;
  private lastHeadSize = -1;
  private signingHead: Promise<unknown> | undefined;
  private readonly metrics;
  private stopWatchingRegistry: (() => void) | undefined;
  /** the registry version the last registry entry of this writer recorded */
  private recordedRegistry: string | undefined;
  /** the latest checkpoint the witness collector finished a round for */
  private witnessedSize: number | undefined;
  /** the maximum merge delay (LEDGER_MMD_MS) */
  readonly mmdMs: number;

  constructor(
    private readonly repo: LedgerRepository,
    @Inject(LOG_KEY) private readonly logKey: LogKey,
    @Inject(NOTE_KEY) private readonly noteKey: NoteKey,
    @Inject(CONSENT_AUDIT_CONFIG) config: ConsentAuditConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    registry: Registry,
    private readonly registryHolder: RegistryHolder,
  ) {
    this.metrics = {
      appends: new Counter({ name: 'passerelle_ledger_appends_total', help: 'Ledger entries committed', registers: [registry] }),
      batch: new Histogram({ name: 'passerelle_ledger_batch_size', help: 'Entries per group commit', buckets: [1, 4, 16, 64, 256, 1024, 4096], registers: [registry] }),
      size: new Gauge({ name: 'passerelle_ledger_tree_size', help: 'Committed ledger entries', registers: [registry] }),
      writer: new Gauge({ name: 'passerelle_ledger_writer', help: '1 while this instance holds the ledger writer role, 0 as standby', registers: [registry] }),
    };
    this.mmdMs = config.LEDGER_MMD_MS ?? DEFAULT_MMD_MS;
    this.writer = new LedgerWriter(repo, logger, {
      onCommit: (tree, n) => {
        this.metrics.appends.inc(n);
        this.metrics.batch.observe(n);
        this.metrics.size.set(tree.size);
      },
    });
    this.writerRole = new WriterRole(new PgWriterLock(config.DATABASE_URL, logger), this, logger, {
      onRole: (role) => this.metrics.writer.set(role === 'writer' ? 1 : 0),
    });
    this.metrics.writer.set(0);
  }

  async onModuleInit() {
    // Every reload is itself an entry: an auditor proves which rules were in force for any exchange.
    this.stopWatchingRegistry = this.registryHolder.onReload((next) => void this.recordRegistry(next, 'registry:reload'));
    await this.writerRole.start();
    // Integration takes a pass of the integrator (tens of ms); heads every quarter of the MMD keep the sum under it.
    this.headTimer = setInterval(() => void this.signPendingHead(), Math.max(50, Math.floor(this.mmdMs / 4)));
    this.headTimer.unref();
  }

  async onApplicationShutdown() {
    this.stopWatchingRegistry?.();
    clearInterval(this.headTimer);
    await this.writerRole.stop();
  }

  /** This instance's part in the ledger: the writer, a standby, or stopped. */
  get role(): Role {
    return this.writerRole.role;
  }

  get isWriter(): boolean {
    return this.mastership !== undefined && !this.mastership.aborted && this.writer.ready;
  }

  // ------------------------------------------------------------------ the writer's duty

  /** Called by the writer role once this instance holds the lock. */
  async begin(mastership: AbortSignal): Promise<void> {
    await this.writer.start();
    this.lastHeadSize = (await this.repo.latestHead())?.treeSize ?? -1;
    this.mastership = mastership;
    // Stop taking appends at once; the role then awaits end() before releasing the lock.
    mastership.addEventListener('abort', () => void this.writer.stop(), { once: true });
    this.metrics.size.set(this.writer.committed()!.size);
    this.logger.info({ treeSize: this.writer.committed()!.size }, 'this consent-audit instance is the ledger writer');
    // The registry this writer starts with is an entry too (before any entry it stamps).
    const current = this.registryHolder.current();
    if (this.recordedRegistry !== current.version) await this.recordRegistry(current, 'registry:load');
  }

  /** Called by the writer role after the mastership signal aborted, before the lock is released. */
  async end({ shutdown }: { shutdown: boolean }): Promise<void> {
    await this.writer.stop();
    // At shutdown the stopped writer's last commits still get their head; after a lost lock another writer signs.
    if (shutdown) await this.signPendingHead(true).catch(() => undefined);
    this.mastership = undefined;
  }

  // ------------------------------------------------------------------ writes

  async append(req: consentAudit.AppendRequest): Promise<consentAudit.AppendResponse> {
    const input = this.stamp(validateEntryInput(req.entry));
    const a = await this.writer.append(input);
    return { seq: a.seq, time: a.time, leafHash: a.leafHash.toString('base64url') };
  }

  /** Several entries at once; each joins the group commit like a single Append. */
  async appendBatch(req: consentAudit.AppendBatchRequest): Promise<consentAudit.AppendBatchResponse> {
    const entries = req.entries ?? [];
    if (entries.length === 0) throw new InvalidArgument('entries is empty: give 1 to 1000 entries');
    if (entries.length > MAX_APPEND_BATCH) throw new InvalidArgument(`entries has ${entries.length} items; at most ${MAX_APPEND_BATCH} per call`);
    const inputs = entries.map((e, i) => {
      try {
        return this.stamp(validateEntryInput(e));
      } catch (err) {
        if (err instanceof InvalidArgument) throw new InvalidArgument(`entries[${i}]: ${err.message}`);
        throw err;
      }
    });
    const appended = await Promise.all(inputs.map((input) => this.writer.append(input)));
    return { results: appended.map((a) => ({ seq: a.seq, time: a.time, leafHash: a.leafHash.toString('base64url') })) };
  }

  private stamp(input: ValidEntryInput): ValidEntryInput {
    return stampEntry(input, this.registryHolder.current().version);
  }

  /**
   * Appends the entry of a registry load or reload (operation `registry:load` / `registry:reload`,
   * its version in registry_version). Only the writer records; a failure is logged and retried at
   * the next change of writer, never fatal (the registry in force is already in use).
   */
  private async recordRegistry(registry: PasserelleRegistry, operation: 'registry:load' | 'registry:reload'): Promise<void> {
    if (!this.isWriter) return;
    try {
      const a = await this.writer.append(registryEntry(operation, registry.version));
      this.recordedRegistry = registry.version;
      this.logger.info({ seq: a.seq, registryVersion: registry.version, operation }, 'registry version recorded in the ledger');
    } catch (err) {
      this.logger.error({ err, registryVersion: registry.version }, 'could not record the registry version in the ledger');
    }
  }

  // ------------------------------------------------------------------ tree heads

  async signedTreeHead(req: consentAudit.GetSignedTreeHeadRequest): Promise<consentAudit.SignedTreeHead> {
    const wanted = wholeNumber(req.treeSize, 'tree_size');
    if (wanted > 0) await this.ensureCommitted(wanted, 'tree_size');
    const size = await this.committedSize();
    const target = wanted === 0 ? size : wanted;
    const stored = await this.repo.headAt(target);
    const head = toSignedTreeHead(stored ?? (await this.signHead(target)));
    // The promises beyond the head: what `audit verify` checks against the MMD.
    const sequenced = await this.repo.sequencedSize();
    const pendingSince = sequenced > head.treeSize ? ((await this.repo.entryTime(head.treeSize))?.getTime() ?? 0) : 0;
    return { ...head, sequencedSize: sequenced, pendingSince, mmdMs: this.mmdMs };
  }

  /** Signs a head for the committed tree when entries arrived since the last one. */
  private signPendingHead(finalHead = false): Promise<unknown> {
    if (this.signingHead) return finalHead ? this.signingHead.then(() => this.signPendingHead(true)) : this.signingHead;
    const tree = this.writer.committed();
    const writing = this.mastership !== undefined && (!this.mastership.aborted || finalHead);
    if (!writing || !tree || tree.size <= this.lastHeadSize) return Promise.resolve();
    this.signingHead = this.signHead(tree.size, tree.root)
      .then((h) => (this.lastHeadSize = Math.max(this.lastHeadSize, h.treeSize)))
      .catch((err) => this.logger.error({ err, treeSize: tree.size }, 'could not sign a tree head'))
      .finally(() => (this.signingHead = undefined));
    return this.signingHead;
  }

  private async signHead(size: number, knownRoot?: Hash): Promise<StoredTreeHead> {
    const rootHash = knownRoot ?? (await storedRootHash(size, (keys) => this.repo.getNodes(keys)));
    const timestampMs = Date.now();
    const jws = await signTreeHead(this.logKey, { tree_size: size, root_hash: rootHash.toString('base64url'), timestamp: timestampMs });
    const head = await this.repo.insertHead({ treeSize: size, rootHash, timestampMs, jws });
    // The same head as a C2SP checkpoint, under the log's note key: what witnesses cosign.
    await this.signCheckpoint(head.treeSize, head.rootHash);
    return head;
  }

  private signCheckpoint(size: number, rootHash: Buffer): Promise<StoredCheckpoint> {
    const note = signCheckpoint({ origin: this.noteKey.origin, size, rootHash, extensions: [] }, [this.noteKey.signer]);
    return this.repo.insertCheckpoint({ treeSize: size, rootHash, note });
  }

  /**
   * Size 0 asks for the latest checkpoint whose witnessing round is over (every witness answered or
   * timed out), so that a verifier is not shown one still gathering its cosignatures; before any
   * round (no witness configured, or on an instance that does not collect), the latest one.
   */
  checkpointWitnessed(size: number): void {
    this.witnessedSize = Math.max(this.witnessedSize ?? 0, size);
  }

  /** The latest (or size `tree_size`) checkpoint, with the cosignature lines the witnesses gave it. */
  async checkpoint(req: consentAudit.GetCheckpointRequest): Promise<consentAudit.Checkpoint> {
    const wanted = wholeNumber(req.treeSize, 'tree_size');
    const size = wanted || this.witnessedSize;
    const stored = size ? await this.repo.checkpointAt(size) : await this.repo.latestCheckpoint();
    if (!stored) throw new NotFound(wanted === 0 ? 'no checkpoint has been signed yet' : `no checkpoint was signed for tree_size ${wanted}`);
    const cosignatures = await this.repo.cosignatures(stored.treeSize);
    return {
      treeSize: stored.treeSize,
      note: cosignatures.length ? appendSignatures(stored.note, cosignatures.map((c) => c.line)) : stored.note,
      cosignedBy: cosignatures.map((c) => c.witness),
      logVkey: this.noteKey.vkey,
    };
  }

  /** The log's note key, for the witness collector. */
  get checkpointOrigin(): string {
    return this.noteKey.origin;
  }

  // ------------------------------------------------------------------ entries and proofs

  async committedSize(): Promise<number> {
    return this.isWriter ? this.writer.committed()!.size : this.repo.committedSize();
  }

  async entries(req: consentAudit.GetEntriesRequest): Promise<consentAudit.GetEntriesResponse> {
    const start = wholeNumber(req.start, 'start');
    const end = wholeNumber(req.end, 'end');
    if (end < start) throw new InvalidArgument(`end (${end}) must not be before start (${start})`);
    if (end - start + 1 > MAX_ENTRIES_PER_READ) throw new InvalidArgument(`at most ${MAX_ENTRIES_PER_READ} entries per request: start ${start} to end ${end} asks for ${end - start + 1}`);
    // Sequenced entries are durable: served before they are integrated (a verifier reads up to a head's size anyway).
    const size = await this.repo.sequencedSize();
    if (end >= size) throw new OutOfRange(`end ${end} is beyond the last entry (the ledger has ${size} entries)`);
    return { entries: toLedgerEntries(await this.repo.getEntries(start, end)) };
  }

  async inclusionProof(req: consentAudit.InclusionProofRequest): Promise<consentAudit.InclusionProofResponse> {
    const seq = wholeNumber(req.seq, 'seq');
    const treeSize = wholeNumber(req.treeSize, 'tree_size');
    if (seq >= treeSize) throw new OutOfRange(`seq ${seq} is not in a tree of ${treeSize} entries (it needs tree_size ≥ ${seq + 1})`);
    await this.ensureCommitted(treeSize, 'tree_size');
    const path = await storedInclusionProof(seq, treeSize, (keys) => this.repo.getNodes(keys));
    return { leafIndex: seq, auditPath: path.map((h) => h.toString('base64url')) };
  }

  async consistencyProof(req: consentAudit.ConsistencyProofRequest): Promise<consentAudit.ConsistencyProofResponse> {
    const first = wholeNumber(req.first, 'first');
    const second = wholeNumber(req.second, 'second');
    if (first < 1) throw new InvalidArgument('first must be at least 1 (the empty tree needs no consistency proof)');
    if (first > second) throw new InvalidArgument(`first (${first}) must not be greater than second (${second})`);
    await this.ensureCommitted(second, 'second');
    const proof = await storedConsistencyProof(first, second, (keys) => this.repo.getNodes(keys));
    return { consistency: proof.map((h) => h.toString('base64url')) };
  }

  /**
   * Proofs and entries are served from the integrated tree. A size beyond it but within the
   * sequenced entries is a promise: wait up to the MMD for the integrator, then refuse with
   * NotIntegrated (FAILED_PRECONDITION), naming the entry and how late it is.
   */
  private async ensureCommitted(size: number, name: string) {
    if (size <= (await this.committedSize())) return;
    const sequenced = await this.repo.sequencedSize();
    if (size > sequenced) throw new OutOfRange(`${name} ${size} is beyond the ledger's ${sequenced} entries`);
    if (await this.waitIntegrated(size)) return;
    const integrated = await this.committedSize();
    const since = await this.repo.entryTime(integrated);
    const late = since ? Math.max(0, Date.now() - since.getTime() - this.mmdMs) : 0;
    throw new NotIntegrated(
      `entry ${integrated} is sequenced but not yet in the tree (${integrated} entries integrated, ${name} ${size} asked): it is ${late} ms past the ledger's maximum merge delay of ${this.mmdMs} ms; retry later`,
    );
  }

  /** Waits up to the MMD for the tree to hold `size` entries: the writer wakes its integrator, a standby polls. */
  private async waitIntegrated(size: number): Promise<boolean> {
    if (this.isWriter) return this.writer.waitIntegrated(size, this.mmdMs);
    for (const deadline = Date.now() + this.mmdMs; Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, STANDBY_POLL_MS));
      if ((await this.repo.committedSize()) >= size) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ operator search

  async search(req: consentAudit.SearchEntriesRequest): Promise<consentAudit.SearchEntriesResponse> {
    const limit = pageSize(req.first);
    if (req.decision && req.decision !== 'PERMIT' && req.decision !== 'DENY') throw new InvalidArgument('decision must be PERMIT or DENY');
    if (req.subject && !isInternalId(req.subject)) throw new InvalidArgument('subject must be a gateway-internal id (i_ followed by 22 base64url characters)');
    const since = isoTime(req.since, 'since');
    const until = isoTime(req.until, 'until');
    if (since && until && until <= since) throw new InvalidArgument('until must be after since');
    const beforeSeq = wholeNumber(req.beforeSeq, 'before_seq');
    const rows = await this.repo.search({
      agency: req.agency || undefined,
      purpose: req.purpose || undefined,
      decision: req.decision || undefined,
      subject: req.subject || undefined,
      operation: req.operation || undefined,
      since,
      until,
      beforeSeq: beforeSeq || undefined,
      limit,
    });
    return { entries: toLedgerEntries(rows.slice(0, limit)), hasMore: rows.length > limit };
  }

  async disclosures(req: consentAudit.DisclosuresRequest): Promise<consentAudit.DisclosuresResponse> {
    if (!req.subject || !isInternalId(req.subject)) throw new InvalidArgument('subject must be a gateway-internal id (i_ followed by 22 base64url characters)');
    const limit = pageSize(req.first);
    const beforeSeq = wholeNumber(req.beforeSeq, 'before_seq');
    const rows = await this.repo.disclosures(req.subject, limit, beforeSeq || undefined);
    return {
      disclosures: rows.slice(0, limit).map((r) => {
        const e = JSON.parse(r.canonical) as LedgerEntryJson;
        return { seq: r.seq, time: e.time, agency: e.agency, purpose: e.purpose, operation: e.operation, fields: e.fields };
      }),
      hasMore: rows.length > limit,
    };
  }
}

function wholeNumber(value: unknown, name: string): number {
  const n = value === undefined || value === null ? 0 : Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgument(`${name} must be a whole number ≥ 0`);
  return n;
}

function pageSize(first: unknown): number {
  const n = wholeNumber(first, 'first');
  if (n === 0) return DEFAULT_SEARCH_PAGE;
  if (n > MAX_SEARCH_PAGE) throw new InvalidArgument(`first must be between 1 and ${MAX_SEARCH_PAGE}`);
  return n;
}

function isoTime(value: string | undefined, name: string): Date | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(value) || Number.isNaN(d.getTime())) {
    throw new InvalidArgument(`${name} must be an ISO-8601 date or date-time`);
  }
  return d;
}

function toLedgerEntries(rows: StoredEntry[]): consentAudit.LedgerEntry[] {
  return rows.map((r) => ({ seq: r.seq, canonicalJson: r.canonical }));
}

function toSignedTreeHead(h: StoredTreeHead): consentAudit.SignedTreeHead {
  return { treeSize: h.treeSize, rootHash: h.rootHash.toString('base64url'), timestamp: h.timestampMs, jws: h.jws, sequencedSize: h.treeSize, pendingSince: 0, mmdMs: 0 };
}
