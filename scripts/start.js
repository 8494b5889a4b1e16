'use strict';
/**
 * `npm start`: the whole system on one machine with nothing to configure (docs/contract.md §1).
 * Starts embedded PostgreSQL / local Kafka where DATABASE_URL / KAFKA_BROKERS are unset, the demo
 * registry (agency keys generated into PASSERELLE_SECRETS_DIR on first start) where
 * PASSERELLE_REGISTRY is unset, the apps' private CA and gRPC certificates (<secrets>/tls, mutual
 * TLS), builds and starts the three apps, loads demo data once, and
 * stops everything it started on Ctrl-C.
 *
 *   npm start                  readable coloured lines in a terminal, JSON lines otherwise (LOG_FORMAT)
 *   npm start -- --quiet       only the addresses and errors
 *   npm start -- --no-build    use dist/ as it is (skips `node scripts/build.js`)
 *
 * A start that cannot work (a port taken, Java or Maven missing, Maven Central unreachable, a
 * malformed registry) ends with ONE line saying what to do, and exit code 1.
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ensureServices } = require('./services');
const { ensureLoginPasswords } = require('../infra/postgres/logins');
const { lineFormatter, logFormat, prefix } = require('./log-lines');
const { portHolder } = require('./ports');

const root = path.join(__dirname, '..');
const children = [];
let services;
let stopping = false;

const argv = process.argv.slice(2);
const unknown = argv.filter((a) => !['--quiet', '--no-build'].includes(a));
if (unknown.length) {
  process.stderr.write(`passerelle: unknown option ${unknown[0]}: use npm start [-- --quiet] [-- --no-build]\n`);
  process.exit(2);
}
const quiet = argv.includes('--quiet');
const format = logFormat();
const formatLine = lineFormatter({ format, quiet });

/** Progress: hidden by --quiet. */
function say(msg) {
  if (!quiet) announce(msg);
}

/** Addresses and what to do next: always shown. */
function announce(msg) {
  process.stdout.write(format === 'pretty' ? `${prefix('passerelle', true)} ${msg}\n` : `[passerelle] ${msg}\n`);
}

/** A start that cannot go on: one line on stderr saying what to do. */
function fail(msg) {
  process.stderr.write(`passerelle: ${msg}\n`);
}

function runCli(args, env) {
  return execFileSync(process.execPath, [path.join(root, 'dist/apps/cli/main.js'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
}

function startApp(name, env, readyPattern) {
  return new Promise((resolve, reject) => {
    // The apps write JSON; this process decides how it is shown (scripts/log-lines.js).
    const child = spawn(process.execPath, [path.join(root, 'dist/apps', name, 'main.js')], { cwd: root, env: { ...env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push({ name, child });
    let ready = false;
    const onLine = (line) => {
      const shown = formatLine(name, line);
      if (shown !== undefined) process.stdout.write(`${shown}\n`);
      if (!ready && readyPattern.test(line)) {
        ready = true;
        resolve(child);
      }
    };
    let buf = { out: '', err: '' };
    const pipe = (key) => (chunk) => {
      buf[key] += chunk.toString('utf8');
      const lines = buf[key].split('\n');
      buf[key] = lines.pop();
      lines.forEach(onLine);
    };
    child.stdout.on('data', pipe('out'));
    child.stderr.on('data', pipe('err'));
    child.on('exit', (code, signal) => {
      if (!ready) reject(new Error(`${name} exited (${code ?? signal}) before it was ready: see its error above`));
      else if (!stopping) {
        fail(`${name} stopped unexpectedly (${code ?? signal}); stopping everything`);
        void shutdown(1);
      }
    });
  });
}

/**
 * Migrates as the owner (DATABASE_URL given to `npm start`, or MIGRATION_DATABASE_URL), then gives
 * each app its OWN login: passwords generated once into <secrets>/database (0600), set by the
 * owner. Returns each app's environment; no app gets the owner's URL.
 */
async function appDatabaseLogins(env) {
  const ownerUrl = env.MIGRATION_DATABASE_URL || env.DATABASE_URL;
  execFileSync(process.execPath, [path.join(__dirname, 'migration-run.js')], { cwd: root, env: { ...env, MIGRATION_DATABASE_URL: ownerUrl }, stdio: ['ignore', 'ignore', 'inherit'] });
  const { urls } = await ensureLoginPasswords(ownerUrl, env.PASSERELLE_SECRETS_DIR);
  return (app) => {
    const { MIGRATION_DATABASE_URL: _owner, ...rest } = env;
    return { ...rest, DATABASE_URL: urls[app] };
  };
}

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  const started = children.length > 0 || (services?.started.length ?? 0) > 0;
  if (started) say('stopping…');
  for (const { child } of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
  await Promise.all(
    children.map(({ child }) =>
      child.exitCode !== null || child.signalCode !== null
        ? undefined
        : new Promise((r) => {
            const t = setTimeout(() => {
              child.kill('SIGKILL');
              r();
            }, 12_000);
            child.on('exit', () => {
              clearTimeout(t);
              r();
            });
          }),
    ),
  );
  if (services) await services.stop();
  if (started) say('stopped');
  process.exit(code);
}

/** The ports the apps will listen on, each with the variable that moves it. */
function appPorts(env) {
  const grpcPort = Number(String(env.CONSENT_AUDIT_URL).split(':').pop());
  return [
    { port: Number(env.GATEWAY_PORT), what: 'the gateway', variable: 'GATEWAY_PORT' },
    { port: Number(env.GATEWAY_PROBE_PORT), what: "the gateway's probe", variable: 'GATEWAY_PROBE_PORT' },
    { port: grpcPort, what: "consent-audit's gRPC", variable: 'CONSENT_AUDIT_URL=127.0.0.1:<port>' },
    { port: Number(env.CONSENT_AUDIT_METRICS_PORT || 9464), what: "consent-audit's probe", variable: 'CONSENT_AUDIT_METRICS_PORT' },
    { port: Number(env.CONSUMER_METRICS_PORT || 9465), what: "the consumer's probe", variable: 'CONSUMER_METRICS_PORT' },
  ];
}

/** Refuses to start (one line) when a port the apps need is taken, before anything is started or built. */
async function checkPorts(env) {
  for (const { port, what, variable } of appPorts(env)) {
    const holder = await portHolder(port);
    if (holder) {
      throw new StartRefused(
        `port ${port} (${what}) is already in use: stop what holds it (\`ss -ltnp 'sport = :${port}'\` shows it; a previous \`npm start\`?) or start with ${variable.includes('=') ? variable : `${variable}=<free port>`} npm start`,
      );
    }
  }
}

/** Refuses to start (one line) on a registry file that `passerelle registry check` rejects. */
function checkRegistry(env) {
  const file = env.PASSERELLE_REGISTRY;
  let out;
  try {
    out = execFileSync(process.execPath, [path.join(root, 'dist/apps/cli/main.js'), 'registry', 'check', file], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (e) {
    const first = `${e.stdout ?? ''}${e.stderr ?? ''}`.split('\n').find((l) => l.trim()) ?? 'unreadable';
    // `registry check` prints FILE:LINE POINTER: MESSAGE; the line and message are what helps here.
    const m = /:(\d+) (\S*): (.*)$/.exec(first);
    const problem = m ? `line ${m[1]}${m[2] && m[2] !== '/' ? ` at ${m[2]}` : ''}: ${m[3]}` : first.trim();
    throw new StartRefused(`the registry ${file} is not valid (${problem}): run \`node bin/passerelle.js registry check ${file}\` to see every problem and fix them, or unset PASSERELLE_REGISTRY to start with the demo registry`);
  }
  return out;
}

/** A start refused for a reason the person can fix: its message is the one line to show. */
class StartRefused extends Error {}

/**
 * Two witnesses of the ledger, each a separate `passerelle witness serve` process with its own key
 * (Quebec's access-to-information commission and the federal privacy commissioner), named in the
 * demo registry so that consent-audit asks them to cosign every checkpoint (docs/witness.md).
 * Before consent-audit: keys (secrets/witnesses, 0600) and registry entries. Returns the step to
 * run once consent-audit has published its checkpoint key: start the witnesses, which follow it.
 */
async function demoWitnesses(env) {
  const demoRegistry = path.join(env.PASSERELLE_SECRETS_DIR, 'demo-registry.json');
  if (env.PASSERELLE_REGISTRY !== demoRegistry) return async () => undefined;
  const dir = path.join(env.PASSERELLE_SECRETS_DIR, 'witnesses');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const witnesses = [
    { name: 'qc.cai', port: 7381 },
    { name: 'ca.opc', port: 7382 },
  ].map((w) => {
    const key = path.join(dir, `${w.name}.key`);
    const vkeyFile = `${key}.vkey`;
    if (!fs.existsSync(key)) fs.writeFileSync(vkeyFile, runCli(['witness', 'keygen', '--name', w.name, '--out', key], env));
    return { ...w, key, vkey: fs.readFileSync(vkeyFile, 'utf8').trim(), state: path.join(dir, w.name) };
  });
  const doc = JSON.parse(fs.readFileSync(demoRegistry, 'utf8'));
  doc.witnesses = witnesses.map((w) => ({ name: w.name, vkey: w.vkey, url: `http://127.0.0.1:${w.port}` }));
  fs.writeFileSync(demoRegistry, `${JSON.stringify(doc, null, 2)}\n`);
  return async () => {
    const logVkey = fs.readFileSync(path.join(env.PASSERELLE_SECRETS_DIR, 'public/log-note.vkey'), 'utf8').trim();
    const origin = logVkey.slice(0, logVkey.indexOf('+'));
    for (const w of witnesses) {
      await new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(root, 'dist/apps/cli/main.js'), 'witness', 'serve', '--key', w.key, '--state', w.state, '--log', `${origin}=${logVkey}`, '--port', String(w.port)], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
        children.push({ name: `witness ${w.name}`, child });
        child.stdout.on('data', (chunk) => {
          process.stdout.write(chunk);
          if (/listening on/.test(chunk.toString('utf8'))) resolve();
        });
        child.on('exit', (code) => reject(new Error(`witness ${w.name} exited (${code})`)));
      });
      say(`witness        ${w.name} http://127.0.0.1:${w.port} (key ${w.key}, state ${w.state})`);
    }
  };
}

async function main() {
  const t0 = Date.now();
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  const preset = { ...process.env };
  preset.GATEWAY_PORT = preset.GATEWAY_PORT || '3000';
  preset.GATEWAY_PROBE_PORT = preset.GATEWAY_PROBE_PORT || '9466';
  preset.CONSENT_AUDIT_URL = preset.CONSENT_AUDIT_URL || '127.0.0.1:50051';
  await checkPorts(preset);
  services = await ensureServices({ pgPort: 54329, kafkaPort: Number(preset.PASSERELLE_KAFKA_PORT || 9092), log: say });
  for (const s of services.started) say(`started ${s}`);
  if (!argv.includes('--no-build')) execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit', cwd: root });

  const env = { ...preset, ...services.env };
  if (env.PASSERELLE_REGISTRY) checkRegistry(env);
  env.PASSERELLE_SECRETS_DIR = env.PASSERELLE_SECRETS_DIR || path.join(root, '.secrets');
  fs.mkdirSync(env.PASSERELLE_SECRETS_DIR, { recursive: true, mode: 0o700 });
  if (!env.PASSERELLE_REGISTRY) {
    const out = path.join(env.PASSERELLE_SECRETS_DIR, 'demo-registry.json');
    runCli(['demo', 'init', '--registry-template', path.join(root, 'infra/registry/demo.json'), '--secrets', env.PASSERELLE_SECRETS_DIR, '--out', out], env);
    env.PASSERELLE_REGISTRY = out;
    say(`demo registry: ${out} (agency keys in ${path.join(env.PASSERELLE_SECRETS_DIR, 'agencies')})`);
  }
  // Mutual TLS between the apps: a private CA and one certificate per app in <secrets>/tls
  // (created on first start, renewed when near expiry), unless plaintext is explicitly asked for.
  const tlsOf = {};
  if (env.PASSERELLE_DEV_PLAINTEXT_GRPC !== '1') {
    const tlsDir = path.join(env.PASSERELLE_SECRETS_DIR, 'tls');
    say(`gRPC mutual TLS (${tlsDir}): ${runCli(['certs', 'issue', '--dir', tlsDir], env).trim().split('\n').join('; ')}`);
    for (const app of ['consent-audit', 'gateway', 'job-match-consumer']) {
      tlsOf[app] = { PASSERELLE_TLS_CA: path.join(tlsDir, 'ca.crt'), PASSERELLE_TLS_CERT: path.join(tlsDir, `${app}.crt`), PASSERELLE_TLS_KEY: path.join(tlsDir, `${app}.key`) };
    }
  }
  env.NODE_ENV = env.NODE_ENV || 'development';

  const envOf = await appDatabaseLogins(env);
  const startWitnesses = await demoWitnesses(env);
  await startApp('consent-audit', { ...envOf('consent-audit'), ...tlsOf['consent-audit'] }, /consent-audit listening/);
  await startWitnesses();
  await startApp('gateway', { ...envOf('gateway'), ...tlsOf.gateway }, /gateway listening/);
  await startApp('job-match-consumer', { ...envOf('job-match-consumer'), ...tlsOf['job-match-consumer'] }, /job-match-consumer running/);

  // Demo data once per database: always into a fresh embedded one, once per DATABASE_URL otherwise.
  const marker = path.join(env.PASSERELLE_SECRETS_DIR, `demo-data-loaded.${require('node:crypto').createHash('sha256').update(env.DATABASE_URL).digest('hex').slice(0, 16)}`);
  if (env.PASSERELLE_FRESH_DATABASE === '1' || !fs.existsSync(marker)) {
    try {
      say(runCli(['demo', 'seed', '--gateway', `http://127.0.0.1:${env.GATEWAY_PORT}`, '--secrets', env.PASSERELLE_SECRETS_DIR], env).trim());
      fs.writeFileSync(marker, new Date().toISOString());
    } catch (e) {
      fail(`demo data could not be loaded: ${e.message.split('\n')[0]}`);
    }
  }

  announce(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  announce(`gateway        http://127.0.0.1:${env.GATEWAY_PORT}  (POST /graphql, /audit/*, /.well-known/jwks.json, /health, /metrics; probe http://127.0.0.1:${env.GATEWAY_PROBE_PORT}/health)`);
  announce(`consent-audit  grpc ${env.CONSENT_AUDIT_URL}, ${tlsOf.gateway ? 'mutual TLS' : 'PLAINTEXT (PASSERELLE_DEV_PLAINTEXT_GRPC=1)'}  (probe http://127.0.0.1:${env.CONSENT_AUDIT_METRICS_PORT || 9464}/health)`);
  announce(`consumer       group passerelle.job-match-consumer  (probe http://127.0.0.1:${env.CONSUMER_METRICS_PORT || 9465}/health)`);
  announce(`postgres       ${env.DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}`);
  announce(`kafka          ${env.KAFKA_BROKERS}`);
  announce(`try: node bin/passerelle.js request --gateway http://127.0.0.1:${env.GATEWAY_PORT} --agency ca.esdc --key ${path.join(env.PASSERELLE_SECRETS_DIR, 'agencies/ca.esdc.private.jwk.json')} --purpose JOB_MATCHING --query '{ gatewayInfo { contractVersion } }'`);
  announce('Ctrl-C stops everything');
}

main().catch(async (e) => {
  // One line: what went wrong and what to do (the services' and tools' own messages say it).
  fail(e instanceof StartRefused ? e.message : `failed to start: ${String(e.message).split('\n')[0]}`);
  await shutdown(1);
});
