import { Client } from 'pg';
import { adminDatabaseUrl, createTestDatabase, eventually, olderTransactionsEnded, queryAsOwner, transactionsEndedUpTo, WAITING_APPLICATION, type TestDatabase } from '@passerelle/testing';

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
    // Observed, not timed: the helper's connection (in this test's database) has run its check
    // while the earlier transaction is open, and the helper is still waiting.
    // (Read on a connection of its own: inside `other`'s transaction pg_stat_activity stays as first read.)
    await eventually(
      async () =>
        (
          await queryAsOwner<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND query LIKE '%pg_snapshot_xmin%'`, [
            db.name,
            WAITING_APPLICATION,
          ])
        )[0].n > 0,
      30_000,
      () => 'the helper never checked the cluster',
    );
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
