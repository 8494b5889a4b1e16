'use strict';
/**
 * Brings up what the environment does not name: an embedded PostgreSQL when DATABASE_URL is
 * unset, a local single-node Kafka when KAFKA_BROKERS is unset. Variables that are set are obeyed.
 */
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startEmbeddedPostgres } = require('../infra/postgres/embedded');
const { ensureLoginPasswords } = require('../infra/postgres/logins');

async function ensureServices({ pgPort, kafkaPort, log = (m) => console.log(m) } = {}) {
  const env = {};
  const stops = [];
  const started = [];
  try {
    if (!process.env.DATABASE_URL) {
      const pg = await startEmbeddedPostgres({ port: pgPort, log });
      env.DATABASE_URL = pg.url;
      env.PASSERELLE_FRESH_DATABASE = pg.reused ? '' : '1';
      stops.push(pg.stop);
      started.push(`postgres on 127.0.0.1:${pgPort} (embedded)`);
    }
    if (!process.env.KAFKA_BROKERS) {
      const kafka = require(path.join(__dirname, '..', 'infra', 'kafka', 'kafka.js'));
      if (!kafka.isFetched()) log(`kafka: downloading Apache Kafka ${kafka.kafkaVersion()}'s jars from Maven Central once, into ${kafka.libsDir()}…`);
      const broker = await kafka.start({ port: kafkaPort, quiet: true });
      env.KAFKA_BROKERS = broker.brokers;
      stops.push(broker.stop);
      started.push(`kafka on ${broker.brokers} (local KRaft)`);
    }
  } catch (e) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw e;
  }
  return {
    env,
    started,
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch((e) => log(`stop failed: ${e.message}`));
    },
  };
}

/**
 * On the embedded PostgreSQL (password auth) the apps' logins need passwords: the roles are made
 * by migrating its own database as the owner, the passwords generated once into .secrets/database
 * (0600) and named to test suites and benches in PASSERELLE_DB_PASSWORDS_DIR. A server named by
 * DATABASE_URL is taken as it is (the machine's PostgreSQL trusts local logins).
 */
async function databaseLoginsEnv(services) {
  const ownerUrl = services.env.DATABASE_URL;
  if (!ownerUrl) return {};
  const root = path.join(__dirname, '..');
  execFileSync(process.execPath, [path.join(__dirname, 'migration-run.js')], { cwd: root, env: { ...process.env, MIGRATION_DATABASE_URL: ownerUrl }, stdio: ['ignore', 'ignore', 'inherit'] });
  const { dir } = await ensureLoginPasswords(ownerUrl, path.join(root, '.secrets'));
  return { PASSERELLE_DB_PASSWORDS_DIR: dir };
}

module.exports = { ensureServices, databaseLoginsEnv };
