'use strict';
/**
 * The apps' own database logins for `npm start` and `npm test`: one password per login role,
 * generated once into `<secretsDir>/database/<role>.password` (0600, never committed) and set
 * with ALTER ROLE by the owner, and each app's DATABASE_URL built from the owner's URL.
 * The roles themselves (and their grants) come from the migrations: libs/persistence/src/privileges.ts.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/** app -> login role; the same as APP_LOGINS in libs/persistence/src/privileges.ts (a test checks). */
const APP_LOGINS = {
  gateway: 'passerelle_gateway',
  'consent-audit': 'passerelle_ledger',
  'job-match-consumer': 'passerelle_consumer',
};

function passwordsDir(secretsDir) {
  return path.join(secretsDir, 'database');
}

function readOrCreatePassword(dir, role) {
  const file = path.join(dir, `${role}.password`);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, crypto.randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * Sets each login's password (created on first use) as the owner; the roles must exist (run the
 * migrations first). Returns each app's DATABASE_URL: the owner's URL with the app's login.
 */
async function ensureLoginPasswords(ownerUrl, secretsDir) {
  const { Client } = require('pg');
  const dir = passwordsDir(secretsDir);
  const client = new Client({ connectionString: ownerUrl });
  await client.connect();
  const urls = {};
  try {
    for (const [app, role] of Object.entries(APP_LOGINS)) {
      const password = readOrCreatePassword(dir, role);
      const literal = (await client.query('SELECT quote_literal($1) AS l', [password])).rows[0].l;
      await client.query(`ALTER ROLE ${role} PASSWORD ${literal}`);
      urls[app] = loginUrl(ownerUrl, role, password);
    }
  } finally {
    await client.end();
  }
  return { dir, urls };
}

function loginUrl(ownerUrl, role, password) {
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = password ?? '';
  return url.toString();
}

module.exports = { APP_LOGINS, ensureLoginPasswords, loginUrl, passwordsDir };
