/**
 * Who may do what in the database: THE privilege matrix (login role -> table -> verbs), written
 * once. Migrations run as the owner (the login of MIGRATION_DATABASE_URL), which owns every
 * table; each app logs in as its own role below and gets exactly these grants, nothing by
 * default. `applyPrivileges` (run by the roles migration and after every migration run)
 * reconciles the database to this file, and test/security/database-roles.e2e-spec.ts compares
 * the database's grants with it.
 *
 * A new table gets no grant until it is named here.
 */

/** The apps that log in to the database, and the login role of each. */
export const APP_LOGINS = {
  gateway: 'passerelle_gateway',
  'consent-audit': 'passerelle_ledger',
  'job-match-consumer': 'passerelle_consumer',
} as const;

export type DatabaseApp = keyof typeof APP_LOGINS;
export type LoginRole = (typeof APP_LOGINS)[DatabaseApp];
export type TableVerb = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

/**
 * The role the apps used to SET ROLE to. Kept in the cluster (other databases may still name it)
 * but stripped of every privilege here; nobody is granted membership of it.
 */
export const RETIRED_APP_ROLE = 'passerelle_app';

/**
 * role -> table -> verbs. UPDATE appears only where the app updates rows (or upserts, or locks a
 * row FOR UPDATE); append-only tables get SELECT and INSERT and keep their triggers. Only the
 * ledger's role may write the ledger (entries, Merkle nodes, tree heads) and consents.
 * `schema_migrations` is readable so an app can refuse to start on a schema it does not know.
 */
export const TABLE_PRIVILEGES: Record<LoginRole, Record<string, readonly TableVerb[]>> = {
  passerelle_gateway: {
    schema_migrations: ['SELECT'],
    agency_request_jtis: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    agency_rate_buckets: ['SELECT', 'INSERT', 'UPDATE'],
    claimant_records: ['SELECT', 'INSERT', 'UPDATE'],
    claimant_record_versions: ['SELECT', 'INSERT'],
    // issue 15: statistics' per-subject merge, written by claimant_records' triggers as the submitting login
    claimant_merged: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    // before streams (issue 8); migrated into program_stream_* and no longer written
    program_counters: ['SELECT'],
    program_applications: ['SELECT'],
    // issue 17: streams, pacing, waitlists; the stream row is locked FOR UPDATE (UPDATE), events append-only
    program_streams: ['SELECT', 'INSERT', 'UPDATE'],
    program_stream_periods: ['SELECT', 'INSERT', 'UPDATE'],
    program_stream_applications: ['SELECT', 'INSERT', 'UPDATE'],
    program_application_events: ['SELECT', 'INSERT'],
    program_outbox: ['SELECT', 'INSERT', 'UPDATE'],
    job_matches: ['SELECT'],
    relocation_referrals: ['SELECT', 'INSERT', 'UPDATE'],
    relocation_offers: ['SELECT', 'INSERT', 'UPDATE'],
    // append-only history of referral transitions (a trigger refuses UPDATE/DELETE)
    referral_events: ['SELECT', 'INSERT'],
    // UPDATE: the relay marks rows published
    referral_outbox: ['SELECT', 'INSERT', 'UPDATE'],
    // issue 17: employment periods are replaced as a whole by a provider's next submission (DELETE)
    employment_periods: ['SELECT', 'INSERT', 'DELETE'],
    // issue 17: what eligibleNotApplied / simulateRule published to each agency (append-only)
    count_releases: ['SELECT', 'INSERT'],
    // issue 17: write counters of the empty-spots population's tables, bumped by their triggers as the writing login
    spots_versions: ['SELECT', 'UPDATE'],
    // issue 17: subjects written to claimant_records / employment_periods, appended by their triggers as the
    // writing login (INSERT), read by the snapshot's refresh, pruned after a retention (DELETE)
    spots_changes: ['SELECT', 'INSERT', 'DELETE'],
    // the highest pruned change: read by the refresh, raised by the pruning
    spots_changes_pruned: ['SELECT', 'UPDATE'],
  },
  passerelle_ledger: {
    schema_migrations: ['SELECT'],
    consents: ['SELECT', 'INSERT', 'UPDATE'],
    consent_events: ['SELECT', 'INSERT'],
    consent_outbox: ['SELECT', 'INSERT', 'UPDATE'],
    // issue 15: entries are written only through ledger_sequence_entries() (FUNCTION_EXECUTE), never by INSERT
    ledger_entries: ['SELECT'],
    ledger_nodes: ['SELECT', 'INSERT'],
    ledger_tree_heads: ['SELECT', 'INSERT'],
    ledger_checkpoints: ['SELECT', 'INSERT'],
    ledger_cosignatures: ['SELECT', 'INSERT'],
  },
  passerelle_consumer: {
    schema_migrations: ['SELECT'],
    job_matches: ['SELECT', 'INSERT', 'DELETE'],
    // DELETE: an event being dead-lettered whose PERMIT was never recorded is forgotten (matches.repository.ts#forgetUnaudited)
    processed_events: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  },
};

/**
 * role -> table -> the only columns it may SELECT, where a login needs part of a table another
 * app writes. The gateway decides disclosures itself (issue 15): it reads the terms of consents
 * (never the evidence hash, nor who revoked) and can write none.
 */
export const COLUMN_SELECT_PRIVILEGES: Record<LoginRole, Record<string, readonly string[]>> = {
  passerelle_gateway: {
    consents: ['id', 'subject', 'purpose', 'recipient', 'collected_by', 'valid_from', 'expires_at', 'revoked_at'],
  },
  passerelle_ledger: {},
  passerelle_consumer: {},
};

/** role -> sequences it may draw from (USAGE), for bigserial columns of tables it inserts into. */
export const SEQUENCE_USAGE: Record<LoginRole, readonly string[]> = {
  passerelle_gateway: ['program_application_events_seq_seq', 'program_outbox_id_seq', 'count_releases_id_seq'],
  passerelle_ledger: ['consent_events_seq_seq', 'consent_outbox_id_seq'],
  passerelle_consumer: [],
};

/**
 * role -> functions it may EXECUTE. `ledger_sequence_entries` (migration 1795560000000) is the one
 * way into ledger_entries: it takes seqs from the ledger_sequence counter and inserts the entries
 * in the caller's transaction (SECURITY DEFINER), so no app login holds any verb on ledger_entries
 * beyond SELECT, nor any on the counter: none can take seqs without entries, or change either.
 */
export const LEDGER_SEQUENCE_FUNCTION = 'ledger_sequence_entries(timestamptz[], text[], text[], text[], text[], text[], text[], text[], text[])';
export const FUNCTION_EXECUTE: Record<LoginRole, readonly string[]> = {
  passerelle_gateway: [LEDGER_SEQUENCE_FUNCTION],
  passerelle_ledger: [LEDGER_SEQUENCE_FUNCTION],
  // its events' entries, sequenced in the transaction that stores the events (job-match.pipeline.ts)
  passerelle_consumer: [LEDGER_SEQUENCE_FUNCTION],
};

/** The ledger's sequencing tables: no app login holds any verb on them (see FUNCTION_EXECUTE). */
export const LEDGER_SEQUENCING_TABLES = ['ledger_sequence'] as const;

/** The ledger tables: append-only, written only by the ledger's role. */
export const LEDGER_TABLES = ['ledger_entries', 'ledger_nodes', 'ledger_tree_heads', 'ledger_checkpoints', 'ledger_cosignatures'] as const;

export const LOGIN_ROLES = Object.values(APP_LOGINS) as LoginRole[];

/** Minimal query interface: a TypeORM QueryRunner or a pg Client both fit. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Creates the login roles if absent and gives them exactly the attributes of an app login:
 * LOGIN, NOINHERIT, nothing else, member of no role. Roles are cluster-wide and several
 * databases may migrate at once, so creation tolerates a concurrent twin and ALTER runs only
 * when an attribute is wrong (a concurrent ALTER of the same role would fail).
 */
export async function ensureLoginRoles(q: Queryable): Promise<void> {
  for (const role of LOGIN_ROLES) {
    await q.query(`DO $$ BEGIN
      CREATE ROLE ${ident(role)} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
    // A twin migration fixing the same role at once may make this ALTER fail (tuple concurrently
    // updated): what counts is that the role is right afterwards.
    const wrongAttributes = `EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}'
      AND (rolsuper OR rolinherit OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls OR NOT rolcanlogin))`;
    await q.query(`DO $$ BEGIN
      IF ${wrongAttributes} THEN
        BEGIN
          ALTER ROLE ${ident(role)} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN OTHERS THEN
          IF ${wrongAttributes} THEN RAISE; END IF;
        END;
      END IF;
    END $$`);
    // Membership in any role would let the login SET ROLE to it: none is allowed.
    await q.query(`DO $$ DECLARE r record; BEGIN
      FOR r IN SELECT m.roleid::regrole::text AS granted FROM pg_auth_members m WHERE m.member = '${role}'::regrole LOOP
        BEGIN
          EXECUTE format('REVOKE %s FROM ${ident(role)}', r.granted);
        EXCEPTION WHEN OTHERS THEN
          IF EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = '${role}'::regrole AND m.roleid::regrole::text = r.granted) THEN RAISE; END IF;
        END;
      END LOOP;
    END $$`);
  }
}

/**
 * Reconciles this database's privileges with the matrix, deny by default: every table and
 * sequence of the public schema loses every grant to PUBLIC, the retired app role and the login
 * roles, then gets exactly the matrix's. Runs as the owner, in the migration's transaction.
 * Tables the matrix names but that do not exist (yet) are skipped.
 */
export async function applyPrivileges(q: Queryable): Promise<void> {
  const grantees = ['PUBLIC', RETIRED_APP_ROLE, ...LOGIN_ROLES].map((r) => (r === 'PUBLIC' ? r : ident(r))).join(', ');
  await q.query(`DO $$ BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${LOGIN_ROLES.map(ident).join(', ')}', current_database());
  END $$`);
  await q.query(`REVOKE ALL ON SCHEMA public FROM ${grantees}`);
  await q.query(`GRANT USAGE ON SCHEMA public TO ${LOGIN_ROLES.map(ident).join(', ')}`);
  await q.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${grantees}`);
  await q.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${grantees}`);
  await q.query(`REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM ${grantees}`);
  for (const role of LOGIN_ROLES) {
    for (const [table, verbs] of Object.entries(TABLE_PRIVILEGES[role])) {
      await q.query(`DO $$ BEGIN
        IF to_regclass('public.${table}') IS NOT NULL THEN
          GRANT ${verbs.join(', ')} ON public.${ident(table)} TO ${ident(role)};
        END IF;
      END $$`);
    }
    for (const [table, columns] of Object.entries(COLUMN_SELECT_PRIVILEGES[role])) {
      await q.query(`DO $$ BEGIN
        IF to_regclass('public.${table}') IS NOT NULL THEN
          GRANT SELECT (${columns.map(ident).join(', ')}) ON public.${ident(table)} TO ${ident(role)};
        END IF;
      END $$`);
    }
    for (const fn of FUNCTION_EXECUTE[role]) {
      const name = fn.slice(0, fn.indexOf('('));
      await q.query(`DO $$ BEGIN
        IF to_regproc('public.${name}') IS NOT NULL THEN
          GRANT EXECUTE ON FUNCTION public.${fn} TO ${ident(role)};
        END IF;
      END $$`);
    }
    for (const sequence of SEQUENCE_USAGE[role]) {
      await q.query(`DO $$ BEGIN
        IF to_regclass('public.${sequence}') IS NOT NULL THEN
          GRANT USAGE ON SEQUENCE public.${ident(sequence)} TO ${ident(role)};
        END IF;
      END $$`);
    }
  }
}
