import { Client } from 'pg';
import { migrations } from './migrations';

/** Development only: lets an app run as the owner (or a superuser), migrating at start as it used to. */
export const ALLOW_OWNER_LOGIN = 'PASSERELLE_ALLOW_OWNER_LOGIN';

export interface LoginFacts {
  user: string;
  superuser: boolean;
  createRole: boolean;
  bypassRls: boolean;
  /** roles this login is a member of (it could SET ROLE to them) */
  memberOf: string[];
  /** it owns the database or an object of its public schema */
  owns: boolean;
}

/** Pure: why this login must not run an app, or undefined when it is an app's own login. */
export function loginProblem(f: LoginFacts): string | undefined {
  const who = `logs in as ${JSON.stringify(f.user)}`;
  if (f.superuser) return `${who}, a superuser`;
  if (f.owns) return `${who}, which owns the database or its tables`;
  if (f.createRole) return `${who}, which may create roles`;
  if (f.bypassRls) return `${who}, which bypasses row security`;
  if (f.memberOf.length) return `${who}, which can become ${f.memberOf.map((r) => JSON.stringify(r)).join(', ')}`;
  return undefined;
}

export async function readLoginFacts(c: Client): Promise<LoginFacts> {
  const [row] = (
    await c.query(`
      SELECT r.rolname AS user, r.rolsuper AS superuser, r.rolcreaterole AS create_role, r.rolbypassrls AS bypass_rls,
             ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid ORDER BY 1) AS member_of,
             EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = current_database() AND d.datdba = r.oid)
               OR EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relowner = r.oid) AS owns
      FROM pg_roles r WHERE r.rolname = current_user`)
  ).rows;
  return { user: row.user, superuser: row.superuser, createRole: row.create_role, bypassRls: row.bypass_rls, memberOf: row.member_of, owns: row.owns };
}

/** Migrations of this build not yet applied to the database (all of them when it was never migrated). */
export async function pendingMigrations(c: Client): Promise<string[]> {
  let applied: Set<string>;
  try {
    applied = new Set((await c.query('SELECT name FROM schema_migrations')).rows.map((r: { name: string }) => r.name));
  } catch {
    applied = new Set();
  }
  return migrations.map((m) => m.name).filter((name) => !applied.has(name));
}

/** Stops the process the way a configuration error does (libs/config): one line, exit 78. */
export function refuseToStart(app: string, problem: string): never {
  process.stderr.write(`${app}: configuration error: ${problem}\n`);
  process.exit(78);
}
