import { Client } from 'pg';
import { createDataSource } from './data-source';
import { ADVISORY_LOCKS } from './advisory-locks';
import { applyPrivileges, ensureLoginRoles } from './privileges';

const MIGRATION_LOCK_KEY = ADVISORY_LOCKS.migrations;

/**
 * Runs pending migrations as the connecting role, which becomes (or stays) the owner of every
 * table, one process at a time; then reconciles the app logins' grants with the privilege matrix,
 * so a table added by any migration gets exactly the grants the matrix names.
 * Returns the names of the migrations applied.
 */
export async function runMigrations(ownerUrl: string): Promise<string[]> {
  const lock = new Client({ connectionString: ownerUrl, connectionTimeoutMillis: 5000 });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const ds = createDataSource({ url: ownerUrl, poolSize: 1, applicationName: 'passerelle-migrations' });
    await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      await ds.transaction(async (m) => {
        await ensureLoginRoles(m);
        await applyPrivileges(m);
      });
      return applied.map((m) => m.name);
    } finally {
      await ds.destroy();
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}
