/**
 * "The ledger is append-only" must hold against the apps' own database logins: each app logs in
 * as its own role, which cannot become another, owns nothing and holds exactly the grants of the
 * privilege matrix (libs/persistence/src/privileges.ts). Every statement here runs on a real login.
 */
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { APP_LOGINS, COLUMN_SELECT_PRIVILEGES, FUNCTION_EXECUTE, LEDGER_SEQUENCING_TABLES, LEDGER_TABLES, LOGIN_ROLES, RETIRED_APP_ROLE, SEQUENCE_USAGE, TABLE_PRIVILEGES, type DatabaseApp } from '@passerelle/persistence';
import { appMain, createTestDatabase, createTestRegistry, freePort, startTestConsentAudit, kafkaBrokers, queryAsOwner, startApp, startTrustStack, testTlsEnv, uniqueName, type TestDatabase, type TestRegistry } from '@passerelle/testing';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { APP_LOGINS: SCRIPT_APP_LOGINS } = require('../../infra/postgres/logins.js') as { APP_LOGINS: Record<string, string> };

jest.setTimeout(90_000);

const apps = Object.keys(APP_LOGINS) as DatabaseApp[];

describe('append-only holds against the apps’ own database logins', () => {
  let db: TestDatabase;
  let registry: TestRegistry;

  beforeAll(async () => {
    db = await createTestDatabase('dbroles');
    registry = await createTestRegistry();
  });

  afterAll(async () => {
    await db?.drop();
    await registry?.cleanup();
  });

  /** Runs `fn` on a fresh session of `app`'s own login. */
  async function asLogin<T>(app: DatabaseApp, fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ connectionString: db.logins[app] });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }

  it('grants each login exactly what the privilege matrix says, and PUBLIC and the retired app role nothing', async () => {
    const grantees = [...LOGIN_ROLES, RETIRED_APP_ROLE, 'PUBLIC'];
    const rows = await queryAsOwner<{ grantee: string; table_name: string; privilege_type: string }>(
      db.url,
      `SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants
        WHERE table_schema = 'public' AND grantee = ANY($1) ORDER BY 1, 2, 3`,
      [grantees],
    );
    const actual: Record<string, Record<string, string[]>> = {};
    for (const r of rows) ((actual[r.grantee] ??= {})[r.table_name] ??= []).push(r.privilege_type);
    const expected: Record<string, Record<string, string[]>> = {};
    for (const role of LOGIN_ROLES) {
      expected[role] = Object.fromEntries(Object.entries(TABLE_PRIVILEGES[role]).map(([t, verbs]) => [t, [...verbs].sort()]));
    }
    expect(actual).toEqual(expected);

    const sequences = await queryAsOwner<{ grantee: string; object_name: string }>(
      db.url,
      `SELECT grantee, object_name FROM information_schema.usage_privileges
        WHERE object_schema = 'public' AND object_type = 'SEQUENCE' AND grantee = ANY($1) ORDER BY 1, 2`,
      [grantees],
    );
    expect(sequences).toEqual(LOGIN_ROLES.flatMap((role) => [...SEQUENCE_USAGE[role]].sort().map((s) => ({ grantee: role, object_name: s }))));

    // Functions: EXECUTE only where FUNCTION_EXECUTE says (the ledger's sequencing function), nothing for PUBLIC.
    const functions = await queryAsOwner<{ grantee: string; routine_name: string }>(
      db.url,
      `SELECT grantee, routine_name FROM information_schema.role_routine_grants
        WHERE routine_schema = 'public' AND privilege_type = 'EXECUTE' AND grantee = ANY($1) ORDER BY 1, 2`,
      [grantees],
    );
    const byGrantee = (a: { grantee: string; routine_name: string }, b: { grantee: string; routine_name: string }) => a.grantee.localeCompare(b.grantee) || a.routine_name.localeCompare(b.routine_name);
    expect(functions.sort(byGrantee)).toEqual(
      LOGIN_ROLES.flatMap((role) => [...FUNCTION_EXECUTE[role]].map((f) => ({ grantee: role, routine_name: f.slice(0, f.indexOf('(')) }))).sort(byGrantee),
    );
  });

  it('only consent-audit’s login may write the ledger tables; the other logins may not even read them', () => {
    for (const role of LOGIN_ROLES) {
      for (const table of LEDGER_TABLES) {
        const verbs = TABLE_PRIVILEGES[role][table] ?? [];
        // ledger_entries is written only through ledger_sequence_entries() (privileges.ts FUNCTION_EXECUTE)
        const writes = table === 'ledger_entries' ? ['SELECT'] : ['SELECT', 'INSERT'];
        expect({ role, table, verbs }).toEqual({ role, table, verbs: role === APP_LOGINS['consent-audit'] ? writes : [] });
      }
      for (const table of LEDGER_SEQUENCING_TABLES) expect({ role, table, verbs: TABLE_PRIVILEGES[role][table] ?? [] }).toEqual({ role, table, verbs: [] });
    }
  });

  it('each login is a plain LOGIN NOINHERIT role, member of no role, owning nothing; the owner owns every table', async () => {
    const roles = await queryAsOwner(
      db.url,
      `SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, r.rolcanlogin,
              ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid) AS member_of
         FROM pg_roles r WHERE r.rolname = ANY($1) ORDER BY 1`,
      [LOGIN_ROLES],
    );
    expect(roles).toEqual(
      [...LOGIN_ROLES].sort().map((rolname) => ({
        rolname,
        rolsuper: false,
        rolinherit: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolbypassrls: false,
        rolcanlogin: true,
        member_of: [],
      })),
    );
    const owned = await queryAsOwner(
      db.url,
      `SELECT c.relname, c.relowner::regrole::text AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relowner::regrole::text <> current_user`,
    );
    expect(owned).toEqual([]);
    const ownedByLogins = await queryAsOwner(
      db.url,
      `SELECT 'relation' AS kind, relname AS name FROM pg_class WHERE relowner::regrole::text = ANY($1)
       UNION ALL SELECT 'schema', nspname FROM pg_namespace WHERE nspowner::regrole::text = ANY($1)
       UNION ALL SELECT 'function', proname FROM pg_proc WHERE proowner::regrole::text = ANY($1)
       UNION ALL SELECT 'database', datname FROM pg_database WHERE datdba::regrole::text = ANY($1)`,
      [LOGIN_ROLES],
    );
    expect(ownedByLogins).toEqual([]);
    // The start/test scripts name the same logins as the matrix.
    expect(SCRIPT_APP_LOGINS).toEqual(APP_LOGINS);
  });

  it.each(apps)('%s’s login cannot become another role: SET ROLE to any other role is refused and SET ROLE NONE gains nothing', async (app) => {
    const me = APP_LOGINS[app];
    const [{ owner }] = await queryAsOwner<{ owner: string }>(db.url, 'SELECT current_user AS owner');
    await asLogin(app, async (c) => {
      for (const other of [owner, RETIRED_APP_ROLE, ...LOGIN_ROLES.filter((r) => r !== me)]) {
        await expect(c.query(`SET ROLE "${other}"`)).rejects.toThrow(/permission denied to set role/);
      }
      await expect(c.query(`SET SESSION AUTHORIZATION "${owner}"`)).rejects.toThrow(/permission denied/);
      await c.query('SET ROLE NONE');
      await c.query('RESET ROLE');
      expect((await c.query('SELECT current_user AS u, session_user AS s')).rows[0]).toEqual({ u: me, s: me });
      await expect(c.query('ALTER TABLE ledger_entries DISABLE TRIGGER ALL')).rejects.toThrow(/must be owner/);
    });
  });

  it.each(apps)('%s’s login can neither disable a trigger nor drop, truncate, update or delete a ledger table', async (app) => {
    await asLogin(app, async (c) => {
      for (const table of LEDGER_TABLES) {
        for (const sql of [
          `ALTER TABLE ${table} DISABLE TRIGGER ${table}_append_only`,
          `ALTER TABLE ${table} DISABLE TRIGGER USER`,
          `ALTER TABLE ${table} OWNER TO CURRENT_USER`,
          `DROP TABLE ${table}`,
          `TRUNCATE ${table}`,
          `UPDATE ${table} SET ${{ ledger_nodes: 'hash = hash', ledger_entries: 'canonical = canonical', ledger_tree_heads: 'jws = jws', ledger_checkpoints: 'note = note', ledger_cosignatures: 'line = line' }[table]}`,
          `DELETE FROM ${table}`,
          `DROP FUNCTION ledger_append_only() CASCADE`,
        ]) {
          await expect(c.query(sql)).rejects.toThrow(/permission denied|must be owner/);
        }
      }
      await expect(c.query('CREATE TABLE ledger_shadow (x int)')).rejects.toThrow(/permission denied/);
      await expect(c.query('CREATE TEMP TABLE scratch (x int)')).rejects.toThrow(/permission denied/);
    });
  });

  it.each(['gateway', 'job-match-consumer'] as const)('%s’s login cannot INSERT into the ledger tables', async (app) => {
    await asLogin(app, async (c) => {
      await expect(c.query(`INSERT INTO ledger_entries (seq, time, canonical, leaf_hash, agency, purpose, operation, decision, subjects, fields) VALUES (0, now(), '{}', decode(repeat('00', 32), 'hex'), 'a', 'p', 'o', 'PERMIT', '{}', '{}')`)).rejects.toThrow(/permission denied/);
      await expect(c.query(`INSERT INTO ledger_nodes (level, idx, hash) VALUES (0, 0, decode(repeat('00', 32), 'hex'))`)).rejects.toThrow(/permission denied/);
      await expect(c.query(`INSERT INTO ledger_tree_heads (tree_size, root_hash, timestamp_ms, jws) VALUES (1, decode(repeat('00', 32), 'hex'), 0, 'x')`)).rejects.toThrow(/permission denied/);
      await expect(c.query(`INSERT INTO consents (id) VALUES (gen_random_uuid())`)).rejects.toThrow(/permission denied/);
    });
  });

  it('column grants are exactly the matrix’s: the gateway reads the consent terms it decides with, and can write no consent nor read its evidence', async () => {
    const rows = await queryAsOwner<{ role: string; table: string; column: string; privilege: string }>(
      db.url,
      `SELECT r.rolname AS role, c.relname AS "table", a.attname AS "column", x.privilege_type AS privilege
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN LATERAL aclexplode(a.attacl) x JOIN pg_roles r ON r.oid = x.grantee
        WHERE n.nspname = 'public' AND a.attacl IS NOT NULL AND r.rolname = ANY($1) ORDER BY 1, 2, 3, 4`,
      [LOGIN_ROLES],
    );
    const expected = LOGIN_ROLES.flatMap((role) =>
      Object.entries(COLUMN_SELECT_PRIVILEGES[role]).flatMap(([table, columns]) => [...columns].sort().map((column) => ({ role, table, column, privilege: 'SELECT' }))),
    );
    expect(rows).toEqual(expected);
    await asLogin('gateway', async (c) => {
      await c.query('SELECT id, subject, purpose, recipient, collected_by, valid_from, expires_at, revoked_at FROM consents LIMIT 1');
      await expect(c.query('SELECT evidence_sha256 FROM consents LIMIT 1')).rejects.toThrow(/permission denied/);
      await expect(c.query('SELECT * FROM consents LIMIT 1')).rejects.toThrow(/permission denied/);
      await expect(c.query(`UPDATE consents SET revoked_at = now(), revoked_by = 'x'`)).rejects.toThrow(/permission denied/);
      await expect(c.query('DELETE FROM consents')).rejects.toThrow(/permission denied/);
      await expect(c.query('SELECT 1 FROM consent_events LIMIT 1')).rejects.toThrow(/permission denied/);
    });
  });

  it('consent-audit’s login appends to the ledger tables, and their triggers still refuse changes', async () => {
    await asLogin('consent-audit', async (c) => {
      await c.query('BEGIN');
      await c.query(`INSERT INTO ledger_nodes (level, idx, hash) VALUES (0, 0, decode(repeat('00', 32), 'hex'))`);
      expect((await c.query('SELECT count(*)::int AS n FROM ledger_nodes')).rows[0].n).toBe(1);
      await c.query('ROLLBACK');
    });
    await expect(queryAsOwner(db.url, `TRUNCATE ledger_tree_heads`)).rejects.toThrow('ledger_tree_heads is append-only: TRUNCATE refused');
  });

  it('the running apps’ database sessions are each its own login, none a superuser or the owner', async () => {
    const stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
    const consumer = await startApp(
      'job-match-consumer',
      {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: kafkaBrokers(),
        PASSERELLE_REGISTRY: registry.file,
        PASSERELLE_SECRETS_DIR: stack.secretsDir,
        CONSENT_AUDIT_URL: stack.consentAudit.url,
        CONSUMER_METRICS_PORT: String(await freePort()),
        JOB_MATCH_TOPIC: uniqueName('dbroles-matches'),
        JOB_MATCH_GROUP: uniqueName('dbroles-group'),
        // a purge every second keeps a consumer session open to observe
        MATCH_PURGE_INTERVAL_SECONDS: '1',
      },
      { logLine: /job-match-consumer running/, timeoutMs: 60_000 },
    );
    try {
      const appOf: Record<string, DatabaseApp> = {
        'passerelle-gateway': 'gateway',
        'passerelle-consent-audit': 'consent-audit',
        'passerelle-ledger-writer': 'consent-audit',
        'passerelle-job-match-consumer': 'job-match-consumer',
      };
      type Session = { application_name: string; usename: string; rolsuper: boolean };
      let sessions: Session[] = [];
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        await fetch(`${stack.gateway.url}/health`).catch(() => undefined);
        sessions = await queryAsOwner<Session>(
          db.url,
          `SELECT DISTINCT a.application_name, a.usename, r.rolsuper FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
            WHERE a.datname = current_database() AND a.application_name = ANY($1) ORDER BY 1`,
          [Object.keys(appOf)],
        );
        if (new Set(sessions.map((x) => appOf[x.application_name])).size === apps.length) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(new Set(sessions.map((x) => appOf[x.application_name]))).toEqual(new Set(apps));
      for (const x of sessions) expect(x).toEqual({ application_name: x.application_name, usename: APP_LOGINS[appOf[x.application_name]], rolsuper: false });
    } finally {
      await consumer.stop();
      await stack.stop();
    }
  });

  /** Runs a built app on exactly this DATABASE_URL (no mapping to its login) until it exits. */
  async function runOn(app: DatabaseApp, databaseUrl: string): Promise<{ code: unknown; stderr: string }> {
    const proc = spawn(process.execPath, [appMain(app)], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: '127.0.0.1:9',
        PASSERELLE_REGISTRY: registry.file,
        PASSERELLE_SECRETS_DIR: '/tmp/passerelle-unused-secrets',
        CONSENT_AUDIT_URL: '127.0.0.1:9',
        // valid certificates, so that the login is the one thing wrong
        ...testTlsEnv(app),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise((resolve) => proc.on('exit', resolve));
    return { code, stderr };
  }

  it.each(apps)('%s refuses to start on the owner’s login, with one line naming the problem (exit 78)', async (app) => {
    const { code, stderr } = await runOn(app, db.url);
    const [{ owner }] = await queryAsOwner<{ owner: string }>(db.url, 'SELECT current_user AS owner');
    expect(code).toBe(78);
    expect(stderr.trim().split('\n')).toEqual([
      `${app}: configuration error: DATABASE_URL logs in as "${owner}", a superuser: give the app its own login (npm run migration:run creates it) or set PASSERELLE_ALLOW_OWNER_LOGIN=1 for development`,
    ]);
  });

  it('an app on its own login never migrates: on an unmigrated database it refuses to start, naming the command that migrates', async () => {
    const bare = uniqueName('dbroles_bare').toLowerCase();
    await queryAsOwner(process.env.DATABASE_URL!, `CREATE DATABASE "${bare}"`);
    try {
      const url = new URL(db.logins.gateway);
      url.pathname = `/${bare}`;
      const { code, stderr } = await runOn('gateway', url.toString());
      expect(code).toBe(78);
      expect(stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^gateway: configuration error: the database schema is behind this build \(\d+ migration\(s\) pending, from Foundation1764000000000\): run `npm run migration:run` with MIGRATION_DATABASE_URL set to the owner's login$/),
      ]);
      const bareUrl = new URL(db.url);
      bareUrl.pathname = `/${bare}`;
      expect(await queryAsOwner(bareUrl.toString(), `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).toEqual([{ n: 0 }]);
    } finally {
      await queryAsOwner(process.env.DATABASE_URL!, `DROP DATABASE IF EXISTS "${bare}" WITH (FORCE)`);
    }
  });

  it('development only: PASSERELLE_ALLOW_OWNER_LOGIN=1 lets an app run on the owner’s login, migrating at start as it used to', async () => {
    const bare = uniqueName('dbroles_dev').toLowerCase();
    await queryAsOwner(process.env.DATABASE_URL!, `CREATE DATABASE "${bare}"`);
    const ownerUrl = new URL(db.url);
    ownerUrl.pathname = `/${bare}`;
    const consentAudit = await startTestConsentAudit({ registryFile: registry.file, databaseUrl: ownerUrl.toString(), env: { PASSERELLE_ALLOW_OWNER_LOGIN: '1' } });
    try {
      const applied = await queryAsOwner<{ name: string }>(ownerUrl.toString(), 'SELECT name FROM schema_migrations ORDER BY id');
      expect(applied.map((m) => m.name)).toContain('AppLogins1795500000000');
    } finally {
      await consentAudit.stop();
      await queryAsOwner(process.env.DATABASE_URL!, `DROP DATABASE IF EXISTS "${bare}" WITH (FORCE)`);
    }
  });
});
