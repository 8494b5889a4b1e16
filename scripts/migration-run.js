'use strict';
/**
 * `npm run migration:run`: migrates the database as its owner (MIGRATION_DATABASE_URL), which
 * also creates the apps' login roles and grants each exactly what the privilege matrix
 * (libs/persistence/src/privileges.ts) says. The apps log in with their own DATABASE_URL.
 *   MIGRATION_DATABASE_URL=postgres://owner@host/db npm run migration:run [-- --passwords SECRETS_DIR]
 * --passwords also sets each login's password, generated once into SECRETS_DIR/database (0600).
 */
const path = require('node:path');
const { installTs } = require('../bench/lib/ts');
const { ensureLoginPasswords } = require('../infra/postgres/logins');

async function main() {
  const ownerUrl = process.env.MIGRATION_DATABASE_URL;
  if (!ownerUrl) {
    process.stderr.write('migration:run: configuration error: MIGRATION_DATABASE_URL is missing (the owner\'s login, which runs the migrations)\n');
    process.exit(78);
  }
  const root = installTs();
  const { runMigrations } = require(path.join(root, 'libs/persistence/src/migrate.ts'));
  const applied = await runMigrations(ownerUrl);
  process.stdout.write(applied.length ? `migrated: ${applied.join(', ')}\n` : 'migrations: up to date\n');
  const i = process.argv.indexOf('--passwords');
  if (i > 0) {
    const { dir } = await ensureLoginPasswords(ownerUrl, process.argv[i + 1]);
    process.stdout.write(`app login passwords set (files in ${dir})\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`migration:run: ${e.message}\n`);
  process.exit(1);
});
