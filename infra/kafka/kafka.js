#!/usr/bin/env node
'use strict';
/**
 * Local single-node Apache Kafka (KRaft, combined broker+controller) for `npm start` and
 * `npm test` when KAFKA_BROKERS is unset. No Docker: the broker runs straight from the Maven
 * Central jars listed by infra/kafka/pom.xml, on the local Java 17+.
 *
 * Library:
 *   const kafka = require('./infra/kafka/kafka.js');
 *   await kafka.fetch();                                   // jars into the cache (once)
 *   const { brokers, stop } = await kafka.start({ port }); // '127.0.0.1:<port>'
 *   await stop();                                          // SIGTERM, wait, rm data dir
 *
 * CLI:
 *   node infra/kafka/kafka.js fetch
 *   node infra/kafka/kafka.js start [--port N] [--controller-port N] [--data-dir DIR]
 *
 * Environment:
 *   PASSERELLE_KAFKA_CACHE      directory holding libs/ (default
 *                               ${XDG_CACHE_HOME:-~/.cache}/passerelle/kafka-<version>)
 *   PASSERELLE_KAFKA_LOG_LEVEL  broker log level in <dataDir>/logs/server.log (default WARN)
 *   JAVA_HOME                   java is taken from $JAVA_HOME/bin when set, else from PATH
 *
 * Orphan protection (the broker must never outlive the Node process that started it):
 * java is not spawned directly. start() spawns a tiny watchdog, which is this same file run
 * as `node kafka.js __watchdog ...`, connected to the parent by an IPC channel; the watchdog
 * spawns java. When the parent dies in any way (including SIGKILL or a crash, where no
 * 'exit' handler could run) the kernel closes the channel, the watchdog gets 'disconnect',
 * sends java SIGTERM (SIGKILL after 15 s) and removes the data dir. In addition the parent
 * registers process.on('exit') to SIGKILL java at once on a normal/process.exit() exit, so
 * nothing lingers even for the few seconds a graceful shutdown would take. The only
 * uncovered case is someone SIGKILLing the watchdog itself.
 */

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const HERE = __dirname;
const POM = path.join(HERE, 'pom.xml');
const LOG4J2_CONFIG = path.join(HERE, 'log4j2.properties');
const MARKER = '.passerelle-complete';
const READY_TIMEOUT_MS = 60_000;
/** A cluster node still making progress is waited for up to this long. */
const READY_CAP_MS = 240_000;
const STOP_KILL_AFTER_MS = 15_000;
const HOST = '127.0.0.1';

function kafkaVersion() {
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(fs.readFileSync(POM, 'utf8'));
  if (!m) throw new Error(`kafka.js: no <kafka.version> in ${POM}`);
  return m[1];
}

function pomHash() {
  return crypto.createHash('sha256').update(fs.readFileSync(POM)).digest('hex');
}

function cacheDir() {
  if (process.env.PASSERELLE_KAFKA_CACHE) return path.resolve(process.env.PASSERELLE_KAFKA_CACHE);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'passerelle', `kafka-${kafkaVersion()}`);
}

function libsDir() {
  return path.join(cacheDir(), 'libs');
}

function javaBin() {
  const exe = process.platform === 'win32' ? 'java.exe' : 'java';
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', exe) : exe;
}

function classpath() {
  return path.join(libsDir(), '*');
}

function isFetched() {
  try {
    return fs.readFileSync(path.join(libsDir(), MARKER), 'utf8').trim() === pomHash();
  } catch {
    return false;
  }
}

function rmrf(dir) {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Copies Kafka's runtime jars from Maven Central into the cache (libs/), unless a marker
 * written after a previous successful fetch of the same pom.xml is present.
 * Downloads into a temp dir and renames, so concurrent fetches cannot see a half-filled libs/.
 */
async function fetch({ quiet = false } = {}) {
  const libs = libsDir();
  if (isFetched()) return { libs, cached: true };

  const started = Date.now();
  const tmp = `${libs}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(path.dirname(libs), { recursive: true });
  if (!quiet) {
    process.stderr.write(`[kafka] fetching Apache Kafka ${kafkaVersion()} jars from Maven into ${libs} ...`);
  }
  const mvn = process.platform === 'win32' ? 'mvn.cmd' : 'mvn';
  const args = ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`];
  let result;
  try {
    await ensureJava();
    result = await run(mvn, args, { shell: process.platform === 'win32' });
  } catch (err) {
    rmrf(tmp);
    if (!quiet) process.stderr.write(' failed\n');
    if (err.code === 'ENOENT' && !err.java) {
      throw new Error(`Maven is needed once to download the local Kafka's jars and \`${mvn}\` is not on PATH: install Maven 3.6+ (e.g. \`apt-get install maven\`), or set KAFKA_BROKERS to a running Kafka broker`);
    }
    throw err;
  }
  if (result.code !== 0) {
    rmrf(tmp);
    if (!quiet) process.stderr.write(' failed\n');
    const log = path.join(path.dirname(libs), 'fetch-failed.log');
    fs.writeFileSync(log, `${mvn} ${args.join(' ')}\nexit ${result.code}\n\n${result.output}`);
    throw new Error(fetchFailure(result.output, log));
  }
  fs.writeFileSync(path.join(tmp, MARKER), `${pomHash()}\n`);
  if (isFetched()) {
    rmrf(tmp); // someone else finished first
  } else {
    rmrf(libs);
    try {
      fs.renameSync(tmp, libs);
    } catch (err) {
      rmrf(tmp);
      if (!isFetched()) throw err;
    }
  }
  if (!quiet) process.stderr.write(` done in ${seconds(Date.now() - started)}s\n`);
  return { libs, cached: false };
}

/** Runs a command to completion, collecting stdout+stderr. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    child.on('error', (err) => reject(Object.assign(new Error(`kafka.js: cannot run ${cmd}: ${err.message}`), { code: err.code })));
    child.on('close', (code, signal) =>
      resolve({ code: code === null ? `signal ${signal}` : code, output: Buffer.concat(chunks).toString('utf8') }),
    );
  });
}

async function runJava(args) {
  try {
    return await run(javaBin(), args);
  } catch (err) {
    throw Object.assign(new Error(javaMissing()), { code: err.code, java: true });
  }
}

function javaMissing() {
  const where = process.env.JAVA_HOME ? `JAVA_HOME=${process.env.JAVA_HOME} has no bin/java` : '`java` is not on PATH';
  return `the local Kafka needs Java 17+ and ${where}: install it (e.g. \`apt-get install openjdk-17-jre-headless\`) or set JAVA_HOME, or set KAFKA_BROKERS to a running Kafka broker`;
}

/** Fails with one line saying what to do when java cannot be run at all. */
async function ensureJava() {
  await runJava(['-version']);
}

/** One line for a failed jar download: the network when Maven could not reach its repository, else the log. */
function fetchFailure(output, log) {
  if (/no plugin found for prefix|could not resolve|could not transfer|could not be resolved|unknownhost|connection refused|network is unreachable|connect timed out|timed out|no route to host|temporary failure in name resolution|unable to find valid certification path/i.test(output)) {
    return `could not download the local Kafka's jars from Maven Central (no connection to the repository): check the network or the proxy/mirror in ~/.m2/settings.xml, then run \`npm run kafka:fetch\`, or set KAFKA_BROKERS to a running Kafka broker (Maven's output: ${log})`;
  }
  return `Maven could not copy the local Kafka's jars: see ${log}, or set KAFKA_BROKERS to a running Kafka broker`;
}

function tail(text, n) {
  return text.split('\n').filter((l) => l.trim() !== '').slice(-n).join('\n');
}

function tailFile(file, n) {
  try {
    return tail(fs.readFileSync(file, 'utf8'), n);
  } catch {
    return '';
  }
}

/** The broker log's entries and "Caused by:" lines (not the stack frames), last n of them. */
function logSummary(dataDir, n = 25) {
  const logs = path.join(dataDir, 'logs');
  let text = '';
  try {
    text = fs.readFileSync(path.join(logs, 'server.log'), 'utf8');
  } catch {
    /* none yet */
  }
  const lines = text.split('\n').filter((l) => /^\[\d{4}-|^Caused by:|^\S+(Exception|Error)\b/.test(l));
  const out = tailFile(path.join(logs, 'stdout.log'), 15);
  return [lines.slice(-n).join('\n'), out && `--- stdout/stderr:\n${out}`].filter(Boolean).join('\n');
}

/**
 * Start-up is waited for by progress, not a clock: JVMs starting on a loaded two-core box can take
 * minutes. `giveUp()` is true once the node stopped working (neither its logs nor its CPU time
 * grew) for READY_TIMEOUT_MS, or after READY_CAP_MS in all; `why()` says which.
 */
function startupWatch(dataDir, javaPid) {
  const started = Date.now();
  let [seen, lastProgress] = [-1, Date.now()];
  return {
    giveUp() {
      const size = logBytes(dataDir) + cpuTicks(javaPid());
      if (size !== seen) [seen, lastProgress] = [size, Date.now()];
      return Date.now() - lastProgress > READY_TIMEOUT_MS || Date.now() - started > READY_CAP_MS;
    },
    why: () => `did not answer after ${seconds(Date.now() - started)}s (it last made progress ${seconds(Date.now() - lastProgress)}s ago)`,
  };
}

/** How much a node has logged so far: its start-up progress. */
function logBytes(dataDir) {
  let n = 0;
  for (const f of ['server.log', 'stdout.log']) {
    try {
      n += fs.statSync(path.join(dataDir, 'logs', f)).size;
    } catch {
      /* none yet */
    }
  }
  return n;
}

/** CPU time java has used so far (Linux; 0 elsewhere): progress while its logs are quiet. */
function cpuTicks(pid) {
  if (!pid) return 0;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function seconds(ms) {
  return (ms / 1000).toFixed(1);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
function portOpen(port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    const done = (v) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * True when a Kafka broker on `brokers` answers DescribeCluster + Metadata and, with
 * `groups`, its group coordinator answers DescribeGroups. The first FindCoordinator creates
 * __consumer_offsets; until that partition is loaded a consumer's first JoinGroup fails with
 * "coordinator is loading" and kafkajs logs a consumer crash and restarts it. Waiting for it in
 * start() means apps and tests never see that on a fresh broker.
 */
async function answersAsKafka(brokers, timeoutMs = 3000, { groups = false } = {}) {
  const { Kafka, logLevel } = require('kafkajs');
  const admin = new Kafka({
    clientId: 'passerelle-kafka-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    await admin.listTopics();
    if (groups) await admin.describeGroups(['passerelle-kafka-readiness-probe']);
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function kafkaUuid() {
  // Same rules as org.apache.kafka.common.Uuid.randomUuid(): 16 random bytes, base64url without
  // padding, not the reserved ZERO/ONE ids and not starting with '-' (CLI parsers choke on it).
  for (;;) {
    const s = crypto.randomBytes(16).toString('base64url');
    if (!s.startsWith('-') && s !== 'AAAAAAAAAAAAAAAAAAAAAA' && s !== 'AAAAAAAAAAAAAAAAAAAAAQ') return s;
  }
}

function serverProperties({ port, controllerPort, dataDir, nodeId = 1, voters }) {
  const segment = 16 * 1024 * 1024;
  // One node: a single replica everywhere. A cluster (voters = every node's controller port):
  // three replicas, and a write is acknowledged (acks=all) once two of them have it.
  const rf = voters ? Math.min(3, voters.length) : 1;
  const isr = voters ? Math.max(1, rf - 1) : 1;
  return [
    voters
      ? `# Generated by infra/kafka/kafka.js: node ${nodeId} of a ${voters.length}-node KRaft cluster on one machine.`
      : '# Generated by infra/kafka/kafka.js: throwaway single-node KRaft broker+controller.',
    'process.roles=broker,controller',
    `node.id=${nodeId}`,
    `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    voters
      ? `controller.quorum.voters=${voters.map((v) => `${v.nodeId}@${HOST}:${v.controllerPort}`).join(',')}`
      : `controller.quorum.bootstrap.servers=${HOST}:${controllerPort}`,
    `log.dirs=${path.join(dataDir, 'data')}`,
    '',
    '# offsets.topic.replication.factor must not exceed the node count, or consumer groups',
    '# (kafkajs included) find no coordinator.',
    `offsets.topic.replication.factor=${rf}`,
    'offsets.topic.num.partitions=1',
    `offsets.topic.segment.bytes=${segment}`,
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${isr}`,
    'transaction.state.log.num.partitions=1',
    `transaction.state.log.segment.bytes=${segment}`,
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${isr}`,
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${isr}`,
    // An unclean leader (a replica that missed acknowledged writes) must never be elected.
    'unclean.leader.election.enable=false',
    ...(voters
      ? [
          '# A quorum on a loaded shared box: a JVM stalled for seconds (GC, no CPU) must not',
          '# depose a healthy controller, or leadership churns and the cluster never forms.',
          'controller.quorum.fetch.timeout.ms=10000',
          'controller.quorum.election.timeout.ms=5000',
          'controller.quorum.request.timeout.ms=10000',
          'broker.session.timeout.ms=15000',
        ]
      : []),
    '',
    '# Fast group joins and convenient dev behaviour.',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    'num.partitions=3',
    '',
    '# Small on-disk footprint.',
    `log.segment.bytes=${segment}`,
    'log.index.size.max.bytes=1048576',
    'log.retention.hours=2',
    'log.retention.check.interval.ms=60000',
    'num.network.threads=2',
    'num.io.threads=4',
    'num.recovery.threads.per.data.dir=1',
    '# The log cleaner (compacting __consumer_offsets) takes its dedupe buffer from the heap at',
    '# start-up: 128 MB by default, a third of a cluster node\'s heap.',
    'log.cleaner.dedupe.buffer.size=16777216',
    'background.threads=4',
    '',
  ].join('\n');
}

/**
 * JVM options for a cluster node (and its StorageTool format) sharing a small machine with two
 * more nodes and the apps: start-up is mostly class loading and JIT compilation, and three JVMs
 * with the defaults (G1 with a thread per core, C2 compiler threads, tiered compilation) fight for
 * two cores for a minute or more (a quorum once did not form in 5 min under other load, issue 20).
 * The client compiler alone, one compiler thread and the serial collector cut a node's start-up
 * CPU from about 9 s to 5.5 s here and a three-node start from 53 s to 24 s on the same loaded
 * box; at a test's or bench's load a small heap is plenty (16 MB segments, a 16 MB cleaner buffer).
 */
const LEAN_JVM = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:CICompilerCount=1', '-Xss512k', '-XX:-UsePerfData'];

function javaArgs(dataDir, heap = true, { lean = false } = {}) {
  return [
    ...(typeof heap === 'number' ? ['-Xms64m', `-Xmx${heap}m`] : heap ? ['-Xms256m', '-Xmx768m'] : ['-Xmx256m']),
    ...(lean ? LEAN_JVM : []),
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${LOG4J2_CONFIG}`,
    `-Dkafka.logs.dir=${path.join(dataDir, 'logs')}`,
    '-cp',
    classpath(),
  ];
}

/**
 * Starts (or reuses) a broker on 127.0.0.1:port. Resolves once kafkajs gets answers from it.
 * @param {{ port?: number, controllerPort?: number, dataDir?: string, quiet?: boolean }} [options]
 * @returns {Promise<{ brokers: string, stop: () => Promise<void>, reused: boolean, dataDir?: string,
 *   exited?: Promise<void> }>}
 */
async function start({ port = 9092, controllerPort, dataDir, quiet = false } = {}) {
  port = Number(port);
  controllerPort = Number(controllerPort ?? port + 1);
  const brokers = `${HOST}:${port}`;

  if (await portOpen(port)) {
    if (await answersAsKafka(brokers)) {
      return { brokers, reused: true, stop: async () => {} };
    }
    throw new Error(`port ${port} (the local Kafka) is in use by something that does not answer as Kafka: stop it, or set KAFKA_BROKERS to a running Kafka broker`);
  }
  if (await portOpen(controllerPort)) {
    throw new Error(`port ${controllerPort} (the local Kafka's controller) is already in use: stop what holds it, or set KAFKA_BROKERS to a running Kafka broker`);
  }

  await fetch({ quiet }); // checks java first when the jars must be fetched; StorageTool below does otherwise

  dataDir = path.resolve(dataDir ?? path.join(os.tmpdir(), `passerelle-kafka-${port}`));
  rmrf(dataDir);
  fs.mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  const propsFile = path.join(dataDir, 'server.properties');
  fs.writeFileSync(propsFile, serverProperties({ port, controllerPort, dataDir }));

  const fmt = await runJava([
    ...javaArgs(dataDir, false),
    'kafka.tools.StorageTool',
    'format',
    '--standalone',
    '-t',
    kafkaUuid(),
    '-c',
    propsFile,
  ]).catch((err) => {
    rmrf(dataDir);
    throw err;
  });
  if (fmt.code !== 0) {
    rmrf(dataDir);
    throw new Error(
      `kafka.js: kafka.tools.StorageTool format exited with ${fmt.code}:\n${tail(fmt.output, 30)}`,
    );
  }

  const node = launch(dataDir, propsFile);
  const { stop, exitPromise, killOnExit } = node;
  const watch = startupWatch(dataDir, () => node.javaPid);
  for (;;) {
    const exited = node.exited;
    if (exited) {
      process.removeListener('exit', killOnExit);
      const how = exited.error ? exited.error.message : `code ${exited.code}${exited.signal ? `, signal ${exited.signal}` : ''}`;
      throw new Error(
        `kafka.js: the Kafka broker exited during start-up (${how}). Logs in ${dataDir}/logs:\n${logSummary(dataDir)}`,
      );
    }
    if (watch.giveUp()) {
      const summary = logSummary(dataDir); // before stop() removes the data dir
      await stop().catch(() => {});
      throw new Error(`kafka.js: the Kafka broker on ${brokers} ${watch.why()}:\n${summary}`);
    }
    if ((await portOpen(port, 250)) && (await answersAsKafka(brokers, 2000, { groups: true }))) break;
    await sleep(250);
  }
  // `exited` resolves if the broker goes away (after stop(), or on its own).
  return { brokers, stop, reused: false, dataDir, exited: exitPromise.then(() => undefined) };
}

/**
 * Runs one formatted node (java under the watchdog) on its properties file; does not wait for it.
 * `stop()` stops it gracefully and removes its data dir unless `keepData`; `kill9()` SIGKILLs java
 * and keeps the data dir (the node can be launched again on it).
 */
function launch(dataDir, propsFile, { heap = true, lean = false } = {}) {
  const stdoutLog = path.join(dataDir, 'logs', 'stdout.log');
  const out = fs.openSync(stdoutLog, 'a');
  const watchdog = spawn(
    process.execPath,
    [__filename, '__watchdog', dataDir, javaBin(), ...javaArgs(dataDir, heap, { lean }), 'kafka.Kafka', propsFile],
    { stdio: ['ignore', out, out, 'ipc'] },
  );
  fs.closeSync(out);

  /** @type {number | undefined} */
  let javaPid;
  /** @type {{ code: number | null, signal: string | null, error?: Error } | null} */
  let exited = null; // set once the watchdog (hence java) is gone
  const exitPromise = new Promise((resolve) => {
    watchdog.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
    watchdog.on('error', (err) => {
      exited = { code: null, signal: null, error: err };
      resolve(exited);
    });
  });
  watchdog.on('message', (/** @type {any} */ m) => {
    if (m && typeof m.javaPid === 'number') javaPid = m.javaPid;
  });
  // Neither the child nor its IPC channel may keep a test runner's event loop alive.
  watchdog.unref();
  watchdog.channel?.unref?.();

  const kill = (pid, sig) => {
    try {
      if (pid) process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  };
  // On this process's exit: SIGKILL java at once. The watchdog is left alone: it sees the IPC
  // channel close, reaps java (SIGTERM-ing it itself if its pid had not reached us yet) and
  // removes the data dir.
  const killOnExit = () => kill(javaPid, 'SIGKILL');
  process.on('exit', killOnExit);
  const killAll = () => {
    kill(javaPid, 'SIGKILL');
    kill(watchdog.pid, 'SIGKILL');
  };

  let stopping = null;
  const stop = ({ keepData = false } = {}) => {
    stopping ??= (async () => {
      if (!exited) {
        try {
          watchdog.kill('SIGTERM'); // the watchdog forwards it to java
        } catch {
          /* gone */
        }
        const timer = setTimeout(killAll, STOP_KILL_AFTER_MS);
        await exitPromise;
        clearTimeout(timer);
      }
      process.removeListener('exit', killOnExit);
      if (javaPid) await waitForPidGone(javaPid, 5000);
      if (!keepData) rmrf(dataDir);
    })();
    return stopping;
  };

  const kill9 = async () => {
    kill(javaPid, 'SIGKILL');
    await exitPromise;
    process.removeListener('exit', killOnExit);
  };
  return { stop, kill9, exitPromise, killOnExit, get exited() { return exited; }, get javaPid() { return javaPid; } };
}

/**
 * Starts a KRaft cluster of `nodes` (default 3) combined broker+controller processes on this
 * machine, from the same jars: node i listens on basePort + 2i (PLAINTEXT) and basePort + 2i + 1
 * (CONTROLLER); a static controller quorum of all nodes; replication factor 3 and
 * min.insync.replicas=2 as broker defaults, so topics created without settings get them too.
 * Resolves once every node answers and the group coordinator is loaded. The nodes are formatted
 * and launched at once and run lean (LEAN_JVM, a `heapMb` heap): three JVMs share a small machine.
 *
 * Each node has `kill9()` (SIGKILL java; its data stays) and `restart()` (launch it again on its
 * data and wait until it answers): what the broker-failure chaos test does. A restarted node
 * answers only once its previous session expired (broker.session.timeout.ms, 15 s): until then
 * the controller refuses its registration as a duplicate.
 * @param {{ nodes?: number, basePort?: number, dataDir?: string, heapMb?: number, quiet?: boolean }} [options]
 */
async function startCluster({ nodes = 3, basePort = 9192, dataDir, heapMb = 256, quiet = false } = {}) {
  basePort = Number(basePort);
  const specs = Array.from({ length: nodes }, (_, i) => ({ nodeId: i + 1, port: basePort + 2 * i, controllerPort: basePort + 2 * i + 1 }));
  for (const n of specs) {
    for (const p of [n.port, n.controllerPort]) {
      if (await portOpen(p)) throw new Error(`kafka.js: port ${HOST}:${p} is already in use (pass another basePort)`);
    }
  }
  await fetch({ quiet });
  const root = path.resolve(dataDir ?? path.join(os.tmpdir(), `passerelle-kafka-cluster-${basePort}`));
  rmrf(root);
  const clusterId = kafkaUuid();
  const brokers = specs.map((n) => `${HOST}:${n.port}`).join(',');
  await Promise.all(
    specs.map(async (n) => {
      n.dataDir = path.join(root, `node-${n.nodeId}`);
      fs.mkdirSync(path.join(n.dataDir, 'logs'), { recursive: true });
      n.propsFile = path.join(n.dataDir, 'server.properties');
      fs.writeFileSync(n.propsFile, serverProperties({ port: n.port, controllerPort: n.controllerPort, dataDir: n.dataDir, nodeId: n.nodeId, voters: specs }));
      const fmt = await runJava([...javaArgs(n.dataDir, false, { lean: true }), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', n.propsFile]);
      if (fmt.code !== 0) {
        rmrf(root);
        throw new Error(`kafka.js: StorageTool format of node ${n.nodeId} exited with ${fmt.code}:\n${tail(fmt.output, 30)}`);
      }
    }),
  );
  const running = new Map();
  const launchNode = (n) => running.set(n.nodeId, launch(n.dataDir, n.propsFile, { heap: heapMb, lean: true }));
  const waitAnswers = async (n) => {
    const watch = startupWatch(n.dataDir, () => running.get(n.nodeId).javaPid);
    for (;;) {
      const exited = running.get(n.nodeId).exited;
      if (exited) throw new Error(`kafka.js: node ${n.nodeId} exited during start-up (code ${exited.code}). Logs:\n${logSummary(n.dataDir)}`);
      if (watch.giveUp()) throw new Error(`kafka.js: node ${n.nodeId} on ${HOST}:${n.port} ${watch.why()}:\n${logSummary(n.dataDir)}`);
      if ((await portOpen(n.port, 250)) && (await answersAsKafka(`${HOST}:${n.port}`, 2000, { groups: true }))) return;
      await sleep(250);
    }
  };
  const stop = async () => {
    await Promise.all([...running.values()].map((r) => r.stop({ keepData: true }).catch(() => {})));
    rmrf(root);
  };
  try {
    specs.forEach(launchNode);
    await Promise.all(specs.map((n) => waitAnswers(n)));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    brokers,
    dataDir: root,
    stop,
    nodes: specs.map((n) => ({
      nodeId: n.nodeId,
      address: `${HOST}:${n.port}`,
      get pid() {
        return running.get(n.nodeId).javaPid;
      },
      kill9: () => running.get(n.nodeId).kill9(),
      restart: async () => {
        const r = running.get(n.nodeId);
        if (!r.exited) throw new Error(`kafka.js: node ${n.nodeId} is still running`);
        launchNode(n);
        await waitAnswers(n);
      },
    })),
  };
}

async function waitForPidGone(pid, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/**
 * `node kafka.js __watchdog <dataDir> <java> <args...>`: runs java, forwards SIGTERM/SIGINT/SIGHUP
 * to it, exits with its status, and stops it (then removes dataDir) if the parent disappears.
 * @param {string[]} argv
 */
function watchdogMain([dataDir, java, ...args]) {
  const child = spawn(java, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  let killTimer = null;
  let orphaned = false;
  const terminate = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      child.kill('SIGTERM');
    } catch {
      /* gone */
    }
    killTimer ??= setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }, STOP_KILL_AFTER_MS - 1000);
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, terminate);
  process.on('disconnect', () => {
    orphaned = true;
    terminate();
  });
  child.on('error', (err) => {
    console.error(`watchdog: cannot start ${java}: ${err.message}`);
    process.exit(127);
  });
  child.on('spawn', () => {
    try {
      process.send?.({ javaPid: child.pid });
    } catch {
      /* parent already gone */
    }
  });
  child.on('exit', (code, signal) => {
    if (killTimer) clearTimeout(killTimer);
    if (orphaned) rmrf(dataDir);
    process.exit(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1));
  });
}

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? a.split(/=(.*)/s) : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--port' || flag === '-p') opts.port = Number(value());
    else if (flag === '--controller-port') opts.controllerPort = Number(value());
    else if (flag === '--data-dir') opts.dataDir = value();
    else throw new Error(`unknown option ${a}`);
  }
  for (const k of ['port', 'controllerPort']) {
    if (k in opts && !(Number.isInteger(opts[k]) && opts[k] > 0 && opts[k] < 65536)) throw new Error(`invalid --${k}`);
  }
  return opts;
}

async function cli(argv) {
  const [cmd, ...rest] = argv;
  if (cmd === 'fetch') {
    const { libs, cached } = await fetch();
    if (cached) console.error(`[kafka] Apache Kafka ${kafkaVersion()} jars already in ${libs}`);
    return;
  }
  if (cmd === 'start') {
    const t0 = Date.now();
    const opts = parseArgs(rest);
    const broker = await start(opts);
    console.log(
      broker.reused
        ? `kafka already running on ${broker.brokers}, reusing it`
        : `kafka ready on ${broker.brokers} in ${seconds(Date.now() - t0)}s (data: ${broker.dataDir})`,
    );
    if (broker.reused) return;
    const keepAlive = setInterval(() => {}, 1 << 30);
    let stopping = false;
    const shutdown = async (sig) => {
      if (stopping) return;
      stopping = true;
      console.error(`[kafka] ${sig}: stopping broker ...`);
      await broker.stop();
      clearInterval(keepAlive);
      console.error('[kafka] stopped');
      process.exit(0);
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void shutdown(sig));
    void broker.exited.then(() => {
      if (stopping) return;
      console.error(`[kafka] the broker exited unexpectedly; see ${broker.dataDir}/logs`);
      process.exit(1);
    });
    return;
  }
  console.error('usage: node infra/kafka/kafka.js fetch | start [--port N] [--controller-port N] [--data-dir DIR]');
  process.exitCode = 2;
}

module.exports = { fetch, start, startCluster, kafkaVersion, cacheDir, libsDir, serverProperties, isFetched };

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === '__watchdog') {
    watchdogMain(argv.slice(1));
  } else {
    cli(argv).catch((err) => {
      console.error(err && err.message ? err.message : err);
      process.exit(1);
    });
  }
}
