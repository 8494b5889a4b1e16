import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The restricted role the apps act as (SET ROLE through a startup option). Tables created by
 * later migrations get its privileges by default; append-only tables revoke them explicitly.
 */
export class Foundation1764000000000 implements MigrationInterface {
  name = 'Foundation1764000000000';

  async up(q: QueryRunner): Promise<void> {
    // Roles are cluster-wide: another database's migration may be creating it concurrently.
    await q.query(`DO $$ BEGIN
      CREATE ROLE passerelle_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
    await q.query(`DO $$ BEGIN
      EXECUTE format('GRANT passerelle_app TO %I', current_user);
    EXCEPTION WHEN duplicate_object OR unique_violation OR invalid_grant_operation THEN NULL; END $$`);
    await q.query(`GRANT USAGE ON SCHEMA public TO passerelle_app`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO passerelle_app`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO passerelle_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM passerelle_app`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM passerelle_app`);
    await q.query(`REVOKE USAGE ON SCHEMA public FROM passerelle_app`);
  }
}
