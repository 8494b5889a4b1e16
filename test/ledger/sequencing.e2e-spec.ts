/**
 * Sequence now, integrate soon, against the real database (migration 1795560000000): dense seqs
 * from one counter across processes, no gap on rollback or a crash between the counter and the
 * commit, exact canonical bytes, and the counter and queue out of reach of every app login.
 */
import { Client } from 'pg';
import { leafHash } from '@passerelle/merkle';
import { sequenceEntries, type EntryToSequence } from '@passerelle/persistence';
import { createTestDatabase, queryAsOwner, type TestDatabase } from '@passerelle/testing';
import { buildEntry, entryToSequence, type ValidEntryInput } from '../../apps/consent-audit/src/ledger/ledger-entry';

jest.setTimeout(60_000);

const input = (n: number): ValidEntryInput => ({
  agency: 'qc.mifi',
  kid: 'k1',
  jti: `jti${n}`,
  purpose: 'JOB_MATCHING',
  operation: 'graphql:claimant',
  decision: n % 3 === 0 ? 'DENY' : 'PERMIT',
  reason: n % 3 === 0 ? 'consent_required' : 'ok',
  subjects: ['i_AAAAAAAAAAAAAAAAAAAAAA'],
  fields: ['province'],
  request_sha256: '',
  response_sha256: '',
  request_id: `r${n}`,
  ...(n % 3 === 0 ? { rule: 'consent_required' } : {}),
});

describe('ledger sequencing in PostgreSQL (ledger_sequence_entries)', () => {
  let db: TestDatabase;
  const connect = async (url: string) => {
    const c = new Client({ connectionString: url });
    await c.connect();
    return c;
  };
  const rows = (from: number, n: number, time = new Date().toISOString()): EntryToSequence[] => Array.from({ length: n }, (_, i) => entryToSequence(time, input(from + i)));
  const stored = () => queryAsOwner<{ seq: string; time: Date; canonical: string; leaf_hash: Buffer }>(db.url, 'SELECT seq, time, canonical, leaf_hash FROM ledger_entries ORDER BY seq');

  beforeAll(async () => {
    db = await createTestDatabase('sequencing');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('writes exactly buildEntry(seq, time, input) and its leaf hash, under seqs taken from the counter', async () => {
    const gw = await connect(db.logins.gateway);
    try {
      const time = '2026-12-01T17:00:00.123Z';
      const first = await sequenceEntries(gw, rows(0, 3, time));
      const all = await stored();
      expect(all.map((r) => Number(r.seq))).toEqual([first, first + 1, first + 2]);
      all.forEach((r, i) => {
        expect(r.canonical).toBe(buildEntry(first + i, time, input(i)).canonical);
        expect(r.leaf_hash).toEqual(leafHash(r.canonical));
        expect(r.time.toISOString()).toBe(time);
      });
    } finally {
      await gw.end();
    }
  });

  it('two gateway processes sequencing concurrently get dense, unique seqs, committed in seq order', async () => {
    const [a, b] = [await connect(db.logins.gateway), await connect(db.logins['consent-audit'])];
    try {
      const [{ n: before }] = await queryAsOwner<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM ledger_entries');
      const firsts: Array<{ first: number; n: number }> = [];
      const run = async (c: Client, offset: number) => {
        for (let i = 0; i < 40; i++) {
          const n = 1 + ((i * 7 + offset) % 5);
          firsts.push({ first: await sequenceEntries(c, rows(offset * 1000 + i * 10, n)), n });
        }
      };
      await Promise.all([run(a, 1), run(b, 2)]);
      const all = await stored();
      expect(all.map((r) => Number(r.seq))).toEqual(Array.from({ length: all.length }, (_, i) => i));
      expect(all.length).toBe(before + firsts.reduce((s, f) => s + f.n, 0));
      // No two batches overlap, and each entry names its own seq.
      const taken = firsts.flatMap((f) => Array.from({ length: f.n }, (_, i) => f.first + i)).sort((x, y) => x - y);
      expect(new Set(taken).size).toBe(taken.length);
      for (const r of all) expect(JSON.parse(r.canonical).seq).toBe(Number(r.seq));
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('a rollback, or a crash between the counter and the commit, leaves no gap: the next batch takes the same seqs', async () => {
    const gw = await connect(db.logins.gateway);
    const victim = await connect(db.logins.gateway);
    try {
      const [{ next }] = await queryAsOwner<{ next: string }>(db.url, 'SELECT next FROM ledger_sequence');
      await gw.query('BEGIN');
      expect(await sequenceEntries(gw, rows(500, 4))).toBe(Number(next));
      await gw.query('ROLLBACK');
      // The counter is taken, the transaction still open, and its backend dies.
      await victim.query('BEGIN');
      expect(await sequenceEntries(victim, rows(600, 2))).toBe(Number(next));
      const [{ pid }] = (await victim.query('SELECT pg_backend_pid() AS pid')).rows as Array<{ pid: number }>;
      victim.on('error', () => undefined);
      await queryAsOwner(db.url, 'SELECT pg_terminate_backend($1)', [pid]);
      expect(await sequenceEntries(gw, rows(700, 1))).toBe(Number(next));
      const all = await stored();
      expect(all.map((r) => Number(r.seq))).toEqual(Array.from({ length: all.length }, (_, i) => i));
    } finally {
      await gw.end();
      await victim.end().catch(() => undefined);
    }
  });

  it.each(['gateway', 'consent-audit', 'job-match-consumer'] as const)('%s’s login can neither UPDATE, DELETE nor INSERT the counter or the queue directly', async (app) => {
    const c = await connect(db.logins[app]);
    try {
      for (const sql of [
        'UPDATE ledger_sequence SET next = 0',
        'UPDATE ledger_sequence SET next = next + 1',
        'DELETE FROM ledger_sequence',
        'TRUNCATE ledger_sequence',
        'INSERT INTO ledger_sequence (one, next) VALUES (true, 0)',
        `INSERT INTO ledger_entries (seq, time, canonical, leaf_hash, agency, purpose, operation, decision, subjects, fields) VALUES (999999, now(), '{}', decode(repeat('00', 32), 'hex'), 'a', 'p', 'o', 'PERMIT', '{}', '{}')`,
        "UPDATE ledger_entries SET canonical = canonical",
        'DELETE FROM ledger_entries',
      ]) {
        await expect(c.query(sql)).rejects.toThrow(/permission denied/);
      }
      // The function is each login's one way in (the consumer sequences its events' entries in its store transaction).
      expect(await sequenceEntries(c, rows(800, 1))).toBeGreaterThanOrEqual(0);
    } finally {
      await c.end();
    }
  });

  it('the counter only moves forward, even for the owner; arrays of different lengths are refused', async () => {
    await expect(queryAsOwner(db.url, 'UPDATE ledger_sequence SET next = next - 1')).rejects.toThrow(/only moves forward/);
    await expect(queryAsOwner(db.url, 'DELETE FROM ledger_sequence')).rejects.toThrow(/only moves forward/);
    const gw = await connect(db.logins.gateway);
    try {
      await expect(gw.query(`SELECT ledger_sequence_entries(ARRAY[now()], ARRAY['{'], ARRAY['}'], ARRAY['a'], ARRAY['p'], ARRAY['o'], ARRAY['PERMIT'], ARRAY[''], ARRAY['']::text[] || ARRAY['x'])`)).rejects.toThrow(/differ in length/);
      await expect(gw.query(`SELECT ledger_sequence_entries('{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}')`)).rejects.toThrow(/no entry given/);
    } finally {
      await gw.end();
    }
  });
});
