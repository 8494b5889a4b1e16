import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CompactRange, type CompletedNode, type NodeKey } from '@passerelle/merkle';
import { sequenceEntries, type EntryToSequence } from '@passerelle/persistence';
import type { LedgerWriteStore, SequencedEntry } from './ledger-writer';

export interface StoredEntry {
  seq: number;
  canonical: string;
}

export interface StoredTreeHead {
  treeSize: number;
  rootHash: Buffer;
  timestampMs: number;
  jws: string;
}

export interface StoredCheckpoint {
  treeSize: number;
  rootHash: Buffer;
  /** the signed note as the log's note key signed it (no cosignature) */
  note: string;
}

export interface EntrySearch {
  agency?: string;
  purpose?: string;
  decision?: string;
  subject?: string;
  operation?: string;
  since?: Date;
  until?: Date;
  beforeSeq?: number;
  limit: number;
}

interface HeadRow {
  tree_size: string;
  root_hash: Buffer;
  timestamp_ms: string;
  jws: string;
}

const toHead = (r: HeadRow): StoredTreeHead => ({ treeSize: Number(r.tree_size), rootHash: r.root_hash, timestampMs: Number(r.timestamp_ms), jws: r.jws });

/** The ledger's SQL, written out. Tables: see migration 1795471000000-ledger. */
@Injectable()
export class LedgerRepository implements LedgerWriteStore {
  constructor(private readonly dataSource: DataSource) {}

  /** The integrated size: leaves are the level-0 nodes, written only by integration, densely. */
  async committedSize(): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT coalesce(max(idx) + 1, 0) AS size FROM ledger_nodes WHERE level = 0`);
    return Number(row.size);
  }

  /** The sequenced size: every committed entry, integrated or not (commits land in seq order). */
  async sequencedSize(): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT coalesce(max(seq) + 1, 0) AS size FROM ledger_entries`);
    return Number(row.size);
  }

  /** The time of entry `seq` (as stored), when it is sequenced. */
  async entryTime(seq: number): Promise<Date | undefined> {
    const [row] = await this.dataSource.query(`SELECT time FROM ledger_entries WHERE seq = $1`, [seq]);
    return row ? new Date(row.time) : undefined;
  }

  async loadTail(): Promise<CompactRange> {
    const size = await this.committedSize();
    return CompactRange.load(size, (keys) => this.getNodes(keys));
  }

  sequence(entries: EntryToSequence[]): Promise<number> {
    return sequenceEntries(this.dataSource, entries);
  }

  async readSequenced(from: number, limit: number): Promise<SequencedEntry[]> {
    const rows: Array<{ seq: string; canonical: string; leaf_hash: Buffer }> = await this.dataSource.query(
      `SELECT seq, canonical, leaf_hash FROM ledger_entries WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      [from, limit],
    );
    return rows.map((r) => ({ seq: Number(r.seq), canonical: r.canonical, leafHash: r.leaf_hash }));
  }

  async writeNodes(nodes: CompletedNode[]): Promise<void> {
    if (nodes.length === 0) return;
    // Idempotent: a node's hash is fixed by the entries below it, so a second integrator (a writer
    // that has not yet noticed it lost its lock) writes the same rows.
    await this.dataSource.query(
      `INSERT INTO ledger_nodes (level, idx, hash)
       SELECT l, i, decode(h, 'hex') FROM unnest($1::int[], $2::bigint[], $3::text[]) AS y(l, i, h)
       ON CONFLICT (level, idx) DO NOTHING`,
      [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash.toString('hex'))],
    );
  }

  /** Stored nodes for the keys, in their order; one query. A missing node is corruption. */
  async getNodes(keys: readonly NodeKey[]): Promise<Buffer[]> {
    if (keys.length === 0) return [];
    const rows: Array<{ level: number; idx: string; hash: Buffer }> = await this.dataSource.query(
      `SELECT n.level, n.idx, n.hash FROM ledger_nodes n
       JOIN unnest($1::int[], $2::bigint[]) AS k(level, idx) ON n.level = k.level AND n.idx = k.idx`,
      [keys.map((k) => k.level), keys.map((k) => k.index)],
    );
    const byKey = new Map(rows.map((r) => [`${r.level}:${r.idx}`, r.hash]));
    return keys.map((k) => {
      const h = byKey.get(`${k.level}:${k.index}`);
      if (!h) throw new Error(`ledger node (${k.level}, ${k.index}) is missing from ledger_nodes`);
      return h;
    });
  }

  async getEntries(start: number, end: number): Promise<StoredEntry[]> {
    const rows: Array<{ seq: string; canonical: string }> = await this.dataSource.query(
      `SELECT seq, canonical FROM ledger_entries WHERE seq BETWEEN $1 AND $2 ORDER BY seq`,
      [start, end],
    );
    return rows.map((r) => ({ seq: Number(r.seq), canonical: r.canonical }));
  }

  /** Newest first; fetches limit + 1 rows so the caller can tell whether there are more. */
  async search(q: EntrySearch): Promise<StoredEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.agency) add('agency = ?', q.agency);
    if (q.purpose) add('purpose = ?', q.purpose);
    if (q.decision) add('decision = ?', q.decision);
    if (q.operation) add('operation = ?', q.operation);
    if (q.subject) add('subjects @> ARRAY[?::text]', q.subject);
    if (q.since) add('time >= ?', q.since.toISOString());
    if (q.until) add('time < ?', q.until.toISOString());
    if (q.beforeSeq !== undefined) add('seq < ?', q.beforeSeq);
    params.push(q.limit + 1);
    const rows: Array<{ seq: string; canonical: string }> = await this.dataSource.query(
      `SELECT seq, canonical FROM ledger_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({ seq: Number(r.seq), canonical: r.canonical }));
  }

  /** PERMIT entries that disclosed fields about the subject, newest first (limit + 1 rows). */
  async disclosures(subject: string, limit: number, beforeSeq?: number): Promise<StoredEntry[]> {
    const rows: Array<{ seq: string; canonical: string }> = await this.dataSource.query(
      `SELECT seq, canonical FROM ledger_entries
       WHERE subjects @> ARRAY[$1::text] AND decision = 'PERMIT' AND cardinality(fields) > 0 AND ($2::bigint IS NULL OR seq < $2)
       ORDER BY seq DESC LIMIT $3`,
      [subject, beforeSeq ?? null, limit + 1],
    );
    return rows.map((r) => ({ seq: Number(r.seq), canonical: r.canonical }));
  }

  async latestHead(): Promise<StoredTreeHead | undefined> {
    const [row] = await this.dataSource.query(`SELECT tree_size, root_hash, timestamp_ms, jws FROM ledger_tree_heads ORDER BY tree_size DESC LIMIT 1`);
    return row ? toHead(row) : undefined;
  }

  async headAt(size: number): Promise<StoredTreeHead | undefined> {
    const [row] = await this.dataSource.query(`SELECT tree_size, root_hash, timestamp_ms, jws FROM ledger_tree_heads WHERE tree_size = $1`, [size]);
    return row ? toHead(row) : undefined;
  }

  // ------------------------------------------------------------------ checkpoints and cosignatures

  /** Stores a checkpoint; when one of that size exists already (a concurrent signer), returns that one. */
  async insertCheckpoint(cp: StoredCheckpoint): Promise<StoredCheckpoint> {
    await this.dataSource.query(`INSERT INTO ledger_checkpoints (tree_size, root_hash, note) VALUES ($1, $2, $3) ON CONFLICT (tree_size) DO NOTHING`, [cp.treeSize, cp.rootHash, cp.note]);
    const stored = await this.checkpointAt(cp.treeSize);
    if (!stored) throw new Error(`checkpoint ${cp.treeSize} neither inserted nor found`);
    return stored;
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    const [row] = await this.dataSource.query(`SELECT tree_size, root_hash, note FROM ledger_checkpoints WHERE tree_size = $1`, [size]);
    return row ? { treeSize: Number(row.tree_size), rootHash: row.root_hash, note: row.note } : undefined;
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const [row] = await this.dataSource.query(`SELECT tree_size, root_hash, note FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1`);
    return row ? { treeSize: Number(row.tree_size), rootHash: row.root_hash, note: row.note } : undefined;
  }

  /** Keeps a witness's cosignature line of checkpoint `treeSize` (the first one it gave stays). */
  async insertCosignature(treeSize: number, witness: string, line: string): Promise<void> {
    await this.dataSource.query(`INSERT INTO ledger_cosignatures (tree_size, witness, line) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [treeSize, witness, line]);
  }

  async cosignatures(treeSize: number): Promise<Array<{ witness: string; line: string }>> {
    return this.dataSource.query(`SELECT witness, line FROM ledger_cosignatures WHERE tree_size = $1 ORDER BY witness`, [treeSize]);
  }

  /** The largest checkpoint size each witness cosigned: where its next add-checkpoint starts. */
  async lastCosigned(witness: string): Promise<number | undefined> {
    const [row] = await this.dataSource.query(`SELECT max(tree_size) AS size FROM ledger_cosignatures WHERE witness = $1`, [witness]);
    return row?.size === null || row?.size === undefined ? undefined : Number(row.size);
  }

  /** Stores a head; when one of that size exists already (a concurrent signer), returns that one. */
  async insertHead(head: StoredTreeHead): Promise<StoredTreeHead> {
    const [row] = await this.dataSource.query(
      `INSERT INTO ledger_tree_heads (tree_size, root_hash, timestamp_ms, jws) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tree_size) DO NOTHING RETURNING tree_size, root_hash, timestamp_ms, jws`,
      [head.treeSize, head.rootHash, head.timestampMs, head.jws],
    );
    if (row) return toHead(row);
    const existing = await this.headAt(head.treeSize);
    if (!existing) throw new Error(`tree head ${head.treeSize} neither inserted nor found`);
    return existing;
  }
}
