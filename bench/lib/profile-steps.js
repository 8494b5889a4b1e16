'use strict';
/**
 * CPU time of one process per exchange, by step of the trust path, from a V8 .cpuprofile
 * (node --cpu-prof) of the built gateway bundle (dist/apps/gateway/main.js + its source map).
 *
 * A sample is charged to the first frame, walking from the leaf towards the root, whose source
 * file belongs to a step of the exchange (verify, replay, decide, read, sequence, sign, …): so
 * the PostgreSQL driver's work of sending the replay INSERT is "replay", jose under the verifier
 * is "verify". Samples with no such frame (a socket's data callback parsing a PostgreSQL result,
 * Fastify writing the reply, GraphQL execution, GC) are charged to the component at their leaf.
 * Only samples inside [fromUs, toUs] of the profile's clock count, so the data loading before the
 * measured window is left out.
 */
const fs = require('node:fs');
const { SourceMap } = require('node:module');
const path = require('node:path');

/** Source-path rules of the exchange's steps, most specific first. */
const STEPS = [
  ['verifyUs', /exchange\/(agency-signature\.verifier|request-verifier|signature-claims|request-digest|unverified-\w+)\.ts$/],
  ['replayUs', /exchange\/replay-store\.ts$/],
  ['rateLimitUs', /exchange\/rate-(limit|bucket-store)\.ts$/],
  ['sequenceUs', /(exchange\/(sequencing-sink|exchange-recorder|audit-sink)|ledger\/ledger-entry|persistence\/src\/ledger-sequencer)\.ts$/],
  ['signUs', /exchange\/response-signer\.ts$/],
  ['keyOperationsUs', /exchange\/key-operations\.ts$/],
  ['decideUs', /(disclosure\/(disclosure-decider|disclosure-note|consent-standing\.sql)|libs\/policy\/src\/.*)\.ts$/],
  ['readUs', /(disclosure\/(claimant-records\.repository|claimant-window\.sql|disclosure\.service|page-cursor)|claimants\/[\w.-]+)\.ts$/],
  ['pseudonymsUs', /libs\/crypto\/src\/pseudonym[\w-]*\.ts$/],
  ['exchangeHooksUs', /exchange\/(exchange\.hooks|exchange-context|exchange-body)\.ts$/],
];

/** What each key means, for the report. */
const LABELS = {
  verifyUs: 'verify (request signature, claims)',
  replayUs: 'replay check (sending its INSERT)',
  rateLimitUs: 'rate limit',
  sequenceUs: 'sequence (ledger entry, its INSERT)',
  signUs: 'sign (response signature)',
  keyOperationsUs: "key operations (the turn's verifications and signatures, sent to the worker as one batch)",
  decideUs: 'decide (agreement, consent standing)',
  readUs: 'read (records SQL, shaping)',
  pseudonymsUs: 'pseudonyms (decrypt, re-encrypt)',
  exchangeHooksUs: 'exchange hooks (context, body digest)',
  pgDriverUs: 'PostgreSQL driver: parsing results of every round trip',
  graphqlUs: 'GraphQL (Mercurius, graphql-jit)',
  httpUs: 'HTTP (Fastify)',
  nestUs: 'NestJS (guards, pipes, interceptors)',
  typeormUs: 'TypeORM',
  loggingUs: 'logging',
  otelUs: 'OpenTelemetry',
  gcUs: 'garbage collection',
  nodeCoreUs: 'Node core (sockets, streams, timers)',
  programUs: 'V8 and libuv outside JavaScript ((program): compiling, event loop, syscalls)',
  nativeUs: 'native functions called from no step (e.g. socket writes)',
  otherUs: 'other',
};

/** Components a sample with no step frame is charged to, by its leaf. */
function componentOf(url, functionName) {
  if (functionName === '(garbage collector)') return 'gcUs';
  if (functionName === '(program)') return 'programUs';
  if (!url) return 'nativeUs';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) {
    const pkg = m[1];
    if (/^pg(-|$)/.test(pkg)) return 'pgDriverUs';
    if (/^(mercurius|graphql|graphql-jit|@nestjs\/graphql|@nestjs\/mercurius)$/.test(pkg)) return 'graphqlUs';
    if (/^(fastify|@fastify\/|light-my-request|find-my-way|avvio)/.test(pkg)) return 'httpUs';
    if (/^@nestjs\//.test(pkg)) return 'nestUs';
    if (pkg === 'typeorm') return 'typeormUs';
    if (/^(pino|thread-stream|sonic-boom)/.test(pkg)) return 'loggingUs';
    if (/^@opentelemetry\//.test(pkg)) return 'otelUs';
    return 'otherUs';
  }
  if (url.startsWith('node:')) return 'nodeCoreUs';
  return 'otherUs';
}

/** Maps the bundle's frames back to source files (one SourceMap per bundle url). */
function sourceResolver() {
  const maps = new Map();
  return (url, line, column) => {
    const file = url.replace(/^file:\/\//, '');
    if (!file.endsWith('.js') || file.includes('node_modules')) return url;
    if (!maps.has(file)) {
      const mapFile = `${file}.map`;
      maps.set(file, fs.existsSync(mapFile) ? new SourceMap(JSON.parse(fs.readFileSync(mapFile, 'utf8'))) : null);
    }
    const map = maps.get(file);
    const entry = map?.findEntry(line, column);
    return entry?.originalSource ? entry.originalSource.replace(/^webpack:\/\/[^/]+\/\.\//, '') : url;
  };
}

/**
 * Self time (µs) by step or component inside [fromUs, toUs] of the profile's clock.
 * @returns {{ byStep: Map<string, number>, busyUs: number, idleUs: number }}
 */
function stepsOfProfile(profile, { fromUs = -Infinity, toUs = Infinity } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const resolve = sourceResolver();
  const stepOfNode = new Map();
  const stepOf = (id) => {
    if (stepOfNode.has(id)) return stepOfNode.get(id);
    let step;
    for (let p = id; p !== undefined && !step; p = parent.get(p)) {
      const f = byId.get(p).callFrame;
      if (!f.url) continue;
      const source = resolve(f.url, f.lineNumber, f.columnNumber);
      const hit = STEPS.find(([, re]) => re.test(source));
      if (hit) step = hit[0];
    }
    if (!step) {
      const leaf = byId.get(id).callFrame;
      step = leaf.functionName === '(idle)' ? '(idle)' : componentOf(leaf.url ? resolve(leaf.url, leaf.lineNumber, leaf.columnNumber) : '', leaf.functionName);
    }
    stepOfNode.set(id, step);
    return step;
  };
  const byStep = new Map();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] || 0;
    if (t < fromUs || t > toUs) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0; // the sample's own duration runs until the next one
    const step = stepOf(profile.samples[i]);
    byStep.set(step, (byStep.get(step) || 0) + dt);
  }
  const idleUs = byStep.get('(idle)') || 0;
  byStep.delete('(idle)');
  const busyUs = [...byStep.values()].reduce((a, b) => a + b, 0);
  return { byStep, busyUs, idleUs };
}

/**
 * The main thread's profile of the newest process named `prefix` profiled into `dir` by
 * bench/lib/stack.js (DIR/<name>-<time>/CPU.<date>.<time>.<pid>.0.<n>.cpuprofile; its worker
 * threads' profiles beside it are not this one).
 */
function newestProfile(dir, prefix) {
  const runs = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith(`${prefix}-`))
    .map((e) => path.join(dir, e.name))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!runs.length) throw new Error(`no ${prefix}-* profile directory in ${dir}`);
  const main = fs.readdirSync(runs[0]).filter((f) => MAIN_THREAD_PROFILE.test(f));
  if (main.length !== 1) throw new Error(`expected one main-thread profile in ${runs[0]}, found ${main.length}`);
  return JSON.parse(fs.readFileSync(path.join(runs[0], main[0]), 'utf8'));
}

/** V8's default profile name: CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile; thread 0 is the main thread. */
const MAIN_THREAD_PROFILE = /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/;

module.exports = { stepsOfProfile, newestProfile, STEPS, LABELS, componentOf };
