import { Client } from 'pg';
import { eventually } from './eventually';
import { runMigrations } from '../../persistence/src/migrate';
import { appLogins, type AppLogins } from './app-database';
import { uniqueName } from './names';

export function adminDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error('DATABASE_URL is not set: run the suite with `npm test`, which starts PostgreSQL when none is given');
  }
  return url;
}

export interface TestDatabase {
  /** the owner's URL: migrations, tamper tests and checks (queryAsOwner) */
  url: string;
  name: string;
  /** each app's own login URL on this database (startApp maps DATABASE_URL to it) */
  logins: AppLogins;
  drop(): Promise<void>;
}

/**
 * A fresh database of its own for one test file, so files can run in parallel, migrated by its
 * owner (the admin login) and with the apps' login roles granted what the privilege matrix says.
 */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const admin = adminDatabaseUrl();
  const name = uniqueName(prefix).toLowerCase();
  const client = new Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return {
    url: url.toString(),
    name,
    logins: appLogins(url.toString()),
    drop: async () => {
      const c = new Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Runs one query as the owner (superuser) of a test database: for tamper tests and checks. */
export async function queryAsOwner<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Resolves once every transaction of the PostgreSQL CLUSTER that began before this call has ended.
 * Transaction ids are cluster-wide, so a copy kept current by the claimant change log
 * (ClaimantChanges: the empty-spots populations, the merged statistics) holds a mark no higher
 * than the oldest transaction still open in ANY database, another suite's or another engineer's
 * run included, and then re-reads writes it already has. A copy refreshed after this resolves
 * holds a mark above every write made before it: what a test asserting "nothing changed since"
 * needs. Driven by what PostgreSQL reports, with a bound only for a transaction left open for good.
 */
export async function olderTransactionsEnded(url: string, timeoutMs = 60_000): Promise<void> {
  await withClient(url, async (client) => {
    const { rows } = await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
    await waitPast(client, rows[0].xid, timeoutMs);
  });
}

/** Resolves once no transaction with an id at or below `xid` (xid8, as text) is open anywhere in the cluster. */
export async function transactionsEndedUpTo(url: string, xid: string, timeoutMs = 60_000): Promise<void> {
  await withClient(url, (client) => waitPast(client, xid, timeoutMs));
}

/** Polls the cluster's oldest open transaction id on one connection. */
async function waitPast(client: Client, xid: string, timeoutMs: number): Promise<void> {
  await eventually(
    async () => (await client.query<{ past: boolean }>('SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS past', [xid])).rows[0].past,
    timeoutMs,
    async () => {
      const open = await client
        .query<{ datname: string; application_name: string; age: string }>(
          `SELECT datname, application_name, (now() - xact_start)::text AS age FROM pg_stat_activity WHERE backend_xid IS NOT NULL ORDER BY xact_start LIMIT 3`,
        )
        .then((r) => r.rows, () => []);
      return `a transaction older than xid ${xid} is still open in the cluster; the oldest open now: ${JSON.stringify(open)}`;
    },
  );
}

/** application_name of the connection that waits (what a test of the helper observes). */
export const WAITING_APPLICATION = 'passerelle-test-waits-for-older-transactions';

async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, application_name: WAITING_APPLICATION });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
