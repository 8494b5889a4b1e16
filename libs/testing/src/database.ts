import { Client } from 'pg';
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
