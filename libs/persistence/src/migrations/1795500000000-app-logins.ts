import type { MigrationInterface, QueryRunner } from 'typeorm';
import { applyPrivileges, ensureLoginRoles, RETIRED_APP_ROLE } from '../privileges';

/**
 * Each app logs in as its own role (libs/persistence/src/privileges.ts) instead of the owner
 * acting as `passerelle_app` through a startup option, which any session could undo with
 * SET ROLE NONE. Deny by default: the default privileges that granted CRUD on every new table
 * to passerelle_app are removed, and the grants become exactly the privilege matrix.
 */
export class AppLogins1795500000000 implements MigrationInterface {
  name = 'AppLogins1795500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM ${RETIRED_APP_ROLE}`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM ${RETIRED_APP_ROLE}`);
    await ensureLoginRoles(q);
    await applyPrivileges(q);
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to the previous model's grants; the cluster-wide login roles stay (other databases may use them).
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${RETIRED_APP_ROLE}`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${RETIRED_APP_ROLE}`);
    await q.query(`GRANT USAGE ON SCHEMA public TO ${RETIRED_APP_ROLE}`);
  }
}
