import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CompactRange, type CompletedNode, type NodeKey } from '@passerelle/merkle';
import { LEDGER_CHAIN_LOCK_CLASS } from '@passerelle/persistence';
import type { BatchTransaction, EntryRow, LedgerWriteStore } from './ledger-writer';

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

const CHAIN_LOCK_CLASS = LEDGER_CHAIN_LOCK_CLASS;
const chainLockId = (batchNo: number) => batchNo % 2_147_483_647;

/**
 * Entries and the nodes they complete, in one statement, written only when the entry before the
 * batch ($14; -1 for the first) is committed: a batch never lands after a failed one.
 */
const APPEND_SQL = `
  WITH prev AS (SELECT ($14::bigint < 0 OR EXISTS (SELECT 1 FROM ledger_entries WHERE seq = $14)) AS ok),
  e AS (
    INSERT INTO ledger_entries (seq, time, canonical, leaf_hash, agency, purpose, operation, decision, subjects, fields)
    SELECT s, t, c, decode(h, 'hex'), a, p, o, d, string_to_array(su, ','), string_to_array(f, ',')
    FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
      AS x(s, t, c, h, a, p, o, d, su, f)
    WHERE (SELECT ok FROM prev)
    RETURNING 1
  ),
  n AS (
    INSERT INTO ledger_nodes (level, idx, hash)
    SELECT l, i, decode(h, 'hex') FROM unnest($11::int[], $12::bigint[], $13::text[]) AS y(l, i, h)
    WHERE (SELECT ok FROM prev)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM e) AS entries, (SELECT count(*) FROM n) AS nodes`;

function appendParams(rows: EntryRow[], nodes: CompletedNode[]): unknown[] {
  return [
    rows.map((r) => r.seq),
    rows.map((r) => r.time),
    rows.map((r) => r.canonical),
    rows.map((r) => r.leafHash.toString('hex')),
    rows.map((r) => r.input.agency),
    rows.map((r) => r.input.purpose),
    rows.map((r) => r.input.operation),
    rows.map((r) => r.input.decision),
    // Internal ids and field names never contain a comma (validated on the way in).
    rows.map((r) => r.input.subjects.join(',')),
    rows.map((r) => r.input.fields.join(',')),
    nodes.map((n) => n.level),
    nodes.map((n) => n.index),
    nodes.map((n) => n.hash.toString('hex')),
    rows[0].seq - 1,
  ];
}

const toHead = (r: HeadRow): StoredTreeHead => ({ treeSize: Number(r.tree_size), rootHash: r.root_hash, timestampMs: Number(r.timestamp_ms), jws: r.jws });

/** The ledger's SQL, written out. Tables: see migration 1795471000000-ledger. */
@Injectable()
export class LedgerRepository implements LedgerWriteStore {
  constructor(private readonly dataSource: DataSource) {}

  async committedSize(): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT coalesce(max(seq) + 1, 0) AS size FROM ledger_entries`);
    return Number(row.size);
  }

  async loadTail(): Promise<CompactRange> {
    const size = await this.committedSize();
    return CompactRange.load(size, (keys) => this.getNodes(keys));
  }

  async appendBatch(rows: EntryRow[], nodes: CompletedNode[]): Promise<void> {
    const [written] = await this.dataSource.query(APPEND_SQL, appendParams(rows, nodes));
    if (Number(written.entries) !== rows.length) {
      throw new Error(`ledger chain broken: entry ${rows[0].seq - 1} is not committed, so entries from ${rows[0].seq} were not written`);
    }
  }

  /**
   * Opens batch `batchNo`'s transaction and takes its chain lock, held until COMMIT or ROLLBACK:
   * the next batch waits on it (see LedgerWriter).
   */
  async begin(batchNo: number): Promise<BatchTransaction> {
    const qr = this.dataSource.createQueryRunner();
    try {
      await qr.connect();
      await qr.query(`BEGIN; SELECT pg_advisory_xact_lock(${CHAIN_LOCK_CLASS}, ${chainLockId(batchNo)})`);
    } catch (e) {
      await qr.query('ROLLBACK').catch(() => undefined);
      await qr.release();
      throw e;
    }
    return {
      writeAndCommit: async (after, rows, nodes) => {
        try {
          // Wait for the previous batch's transaction to end; the INSERT below then sees it.
          if (after !== undefined) await qr.query(`SELECT pg_advisory_xact_lock($1, $2)`, [CHAIN_LOCK_CLASS, chainLockId(after)]);
          const [written] = await qr.query(APPEND_SQL, appendParams(rows, nodes));
          if (Number(written.entries) !== rows.length) {
            throw new Error(`ledger chain broken: entry ${rows[0].seq - 1} is not committed, so entries from ${rows[0].seq} were not written`);
          }
          await qr.query('COMMIT');
        } catch (e) {
          await qr.query('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          await qr.release();
        }
      },
    };
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
