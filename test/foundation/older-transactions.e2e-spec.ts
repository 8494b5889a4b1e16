import { Client } from 'pg';
import { adminDatabaseUrl, createTestDatabase, olderTransactionsEnded, transactionsEndedUpTo, type TestDatabase } from '@passerelle/testing';

/**
 * The test helper that copies kept current by the claimant change log rely on: it waits for a
 * transaction open in ANOTHER database of the cluster (transaction ids are cluster-wide), and only
 * for the transactions that took their id before the one it waits up to.
 */
describe('olderTransactionsEnded', () => {
  let db: TestDatabase;
  let other: Client;

  beforeAll(async () => {
    db = await createTestDatabase('olderxact');
  });

  beforeEach(async () => {
    other = new Client({ connectionString: adminDatabaseUrl(), application_name: 'older-xact-holder' });
    await other.connect();
    await other.query('BEGIN');
    await other.query('SELECT pg_current_xact_id()'); // an xid: it now holds the cluster's xmin back
  });

  afterEach(async () => {
    await other.query('ROLLBACK').catch(() => undefined);
    await other.end();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('waits while a transaction that began earlier is open in another database, and resolves once it ends', async () => {
    let resolved = false;
    const waiting = olderTransactionsEnded(db.url).then(() => (resolved = true));
    // Observed, not timed: the helper has polled PostgreSQL several times and is still waiting.
    for (let polls = 0; polls < 5; polls++) {
      const [{ held }] = (await other.query(`SELECT pg_snapshot_xmin(pg_current_snapshot()) <= pg_current_xact_id() AS held`)).rows as Array<{ held: boolean }>;
      expect(held).toBe(true);
      await new Promise((r) => setTimeout(r, 60));
    }
    expect(resolved).toBe(false);
    await other.query('COMMIT');
    await waiting;
    expect(resolved).toBe(true);
  });

  it('does not wait for a transaction that began after the id it waits up to', async () => {
    await other.query('COMMIT');
    const [{ xid }] = (await other.query('SELECT pg_current_xact_id()::text AS xid')).rows as Array<{ xid: string }>;
    const later = new Client({ connectionString: adminDatabaseUrl() });
    await later.connect();
    try {
      await later.query('BEGIN');
      await later.query('SELECT pg_current_xact_id()'); // a later id, held open while waiting
      await transactionsEndedUpTo(db.url, xid);
    } finally {
      await later.query('ROLLBACK');
      await later.end();
    }
  });

  it('gives up after its bound, naming the oldest transactions still open', async () => {
    // (other runs sharing the cluster may hold older ones: the holder is named only when among the oldest)
    await expect(olderTransactionsEnded(db.url, 300)).rejects.toThrow(/^not reached in 300 ms: a transaction older than xid \d+ is still open in the cluster; the oldest open now: \[\{"datname":/);
  });
});
