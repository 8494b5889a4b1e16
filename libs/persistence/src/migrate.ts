import { Client } from 'pg';
import { createDataSource } from './data-source';

/** Arbitrary constant: serialises migration runs of several processes on one database. */
const MIGRATION_LOCK_KEY = 8_724_112_001;

/**
 * Runs pending migrations with the connecting (owner) role, one process at a time.
 * Returns the names of the migrations applied.
 */
export async function runMigrations(url: string): Promise<string[]> {
  const lock = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const ds = createDataSource({ url, asAppRole: false, poolSize: 1, applicationName: 'passerelle-migrations' });
    await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await ds.destroy();
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}
