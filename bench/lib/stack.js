'use strict';
/**
 * Process plumbing shared by the trust benchmarks (bench/trust.js, bench/trust-scale.js): start
 * a built app (or a peer) with its test-PKI certificate, wait for it, and drive the separate
 * load process (bench/trust-load.js). Only the apps' public interfaces are used: env vars to
 * start them, signed GraphQL to load them.
 */
const { fork, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { withTestTls } = require('@passerelle/testing');
const { cpuTicks, coresByRole } = require('./cores');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns a node script and keeps its output for error messages. Profiled when `cpuProfDir` or
 * BENCH_CPU_PROF=DIR names a directory: into DIR/<name>-<time>/, one file per thread under V8's
 * own names (CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile, the main thread 0). A fixed
 * --cpu-prof-name would be shared by the process's worker threads, and the last one to exit
 * would overwrite the main thread's profile.
 */
function startProcess(name, script, env, { cpuProfDir = process.env.BENCH_CPU_PROF } = {}) {
  let prof = [];
  if (cpuProfDir) {
    const dir = path.join(path.resolve(cpuProfDir), `${name}-${Date.now()}`);
    fs.mkdirSync(dir, { recursive: true });
    prof = ['--cpu-prof', '--cpu-prof-dir', dir];
  }
  // The trust-off peer (bench/trust-off/) is a gateway too: it presents the gateway's certificate.
  const identity = path.basename(path.dirname(script)) === 'trust-off' ? 'gateway' : path.basename(path.dirname(script));
  const proc = spawn(process.execPath, [...prof, script], {
    // Each app with its certificate of the test PKI (mutual TLS on gRPC, as in production).
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', LOG_LEVEL: 'warn', ...withTestTls(identity, env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (c) => (output = (output + c).slice(-20_000));
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise((r) => proc.once('exit', r));
  return {
    name,
    proc,
    output: () => output,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function waitFor(p, check, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.proc.exitCode !== null) throw new Error(`${p.name} exited (${p.proc.exitCode}) before ${what}:\n${p.output().slice(-3000)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${p.name}: no ${what} in ${timeoutMs} ms:\n${p.output().slice(-3000)}`);
    await sleep(100);
  }
}

const tcpOpen = (port) =>
  new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
const httpUp = async (url) => (await fetch(url)).status < 500;

/**
 * Forks bench/trust-load.js with the consumer's key and the pseudonyms to read (a 0600 file in
 * `dir`), and returns `measure(name, url, {concurrency, warmSeconds, seconds, unique, expectRps})`,
 * which runs one load window and resolves with its figures (failing on any failed request), and
 * `close()`.
 */
async function startLoader(dir, config, log) {
  const file = path.join(dir, 'load-config.json');
  fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  const loader = fork(path.join(__dirname, '..', 'trust-load.js'), [file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve, reject) => {
    loader.once('message', resolve);
    loader.once('exit', (c) => reject(new Error(`load process exited ${c}`)));
  });
  /**
   * One measured run; with `cores: { roleOf, splitPids }` the result also holds the cores each
   * role held during the measuring time (bench/lib/cores.js), `splitPids` split by thread.
   */
  const measure = (name, url, opts, { cores } = {}) =>
    new Promise((resolve, reject) => {
      let before;
      const onMessage = (m) => {
        if (m.measuring) {
          if (cores) before = { ticks: cpuTicks(cores.splitPids), at: performance.now() };
          return;
        }
        loader.off('message', onMessage);
        if (m.error) return reject(new Error(m.error));
        if (before) m.cores = coresByRole(before.ticks, cpuTicks(cores.splitPids), (performance.now() - before.at) / 1000, cores.roleOf);
        resolve(m);
      };
      loader.on('message', onMessage);
      log(`${name}: ${opts.warmSeconds} s warm-up + ${opts.seconds} s at concurrency ${opts.concurrency} (load average ${os.loadavg()[0].toFixed(2)})`);
      loader.send({ cmd: 'run', url, expectRps: 4000, ...opts });
    }).then((r) => {
      const { latencies, ...shown } = r;
      log(`${name}: ${JSON.stringify(shown)}`);
      if (r.errors > 0) throw new Error(`${name}: ${r.errors} failed requests, first: ${r.firstError}`);
      return r;
    });
  const close = () => {
    if (loader.exitCode === null) loader.send({ cmd: 'exit' });
  };
  const kill = () => {
    if (loader.exitCode === null) loader.kill();
  };
  return { measure, close, kill, pid: loader.pid };
}

module.exports = { startProcess, waitFor, tcpOpen, httpUp, startLoader, sleep };
