import fs from 'node:fs';
import path from 'node:path';
import { APP_LOGINS, type DatabaseApp } from '../../persistence/src/privileges';

/**
 * Each app logs in to its test database as its own role (libs/persistence/src/privileges.ts),
 * never as the owner. Passwords: none on a trust-auth server (the machine's PostgreSQL);
 * `npm test` on the embedded one sets them and names their directory in
 * PASSERELLE_DB_PASSWORDS_DIR (one `<role>.password` file each, 0600).
 */
export type AppLogins = Record<DatabaseApp, string>;

export function isDatabaseApp(app: string): app is DatabaseApp {
  return Object.prototype.hasOwnProperty.call(APP_LOGINS, app);
}

function loginPassword(role: string): string | undefined {
  const dir = process.env.PASSERELLE_DB_PASSWORDS_DIR;
  if (!dir) return undefined;
  return fs.readFileSync(path.join(dir, `${role}.password`), 'utf8').trim();
}

/** The URL of `app`'s own login on the database that `ownerUrl` names. */
export function appLoginUrl(ownerUrl: string, app: DatabaseApp): string {
  const url = new URL(ownerUrl);
  const role = APP_LOGINS[app];
  url.username = role;
  url.password = loginPassword(role) ?? '';
  return url.toString();
}

export function appLogins(ownerUrl: string): AppLogins {
  return Object.fromEntries(Object.keys(APP_LOGINS).map((app) => [app, appLoginUrl(ownerUrl, app as DatabaseApp)])) as AppLogins;
}

/**
 * For startApp: an app given a test database's owner URL (what suites hold as `db.url`) gets its
 * own login on that database instead. Any other DATABASE_URL (an app login already, a malformed
 * one a test is checking) is passed through, and so is everything when the environment asks for
 * the owner login on purpose (PASSERELLE_ALLOW_OWNER_LOGIN set).
 */
export function withAppDatabaseLogin(app: string, env: Record<string, string>): Record<string, string> {
  if (!isDatabaseApp(app) || !env.DATABASE_URL || env.PASSERELLE_ALLOW_OWNER_LOGIN !== undefined) return env;
  const owner = process.env.DATABASE_URL;
  let given: URL;
  try {
    given = new URL(env.DATABASE_URL);
    if (!owner || decodeURIComponent(given.username) !== decodeURIComponent(new URL(owner).username)) return env;
  } catch {
    return env;
  }
  return { ...env, DATABASE_URL: appLoginUrl(env.DATABASE_URL, app) };
}
