'use strict';
/**
 * `npm run bench [-- <name>…] [-- --smoke]`: starts what it needs (PostgreSQL and Kafka where the
 * environment names none; the built apps with NODE_ENV=production inside each bench), runs each
 * benchmark at least 3 times, and rewrites BENCHMARKS.md with the machine, the command, and for
 * each figure the median and the spread, against its target.
 *
 * A benchmark is a script bench/<name>.js that prints one JSON object of figures on its last
 * stdout line. BENCH_SMOKE=1 asks it for a seconds-long run (CI's smoke of this harness).
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ensureServices, databaseLoginsEnv } = require('../scripts/services');
const { BENCHES } = require('./targets');

const root = path.join(__dirname, '..');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(x) {
  if (x === undefined || x === null || Number.isNaN(x)) return '—';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(3);
}

function verdict(value, target) {
  if (!target || value === undefined) return '';
  const ok = target.better === 'lower' ? value <= target.value : value >= target.value;
  return ok ? 'met' : '**missed**';
}

function versions(env) {
  const out = { node: process.version };
  try {
    out.postgres = execFileSync('psql', [env.DATABASE_URL, '-Atc', 'SHOW server_version'], { encoding: 'utf8' }).trim();
  } catch {
    out.postgres = 'unknown';
  }
  try {
    const pom = fs.readFileSync(path.join(root, 'infra/kafka/pom.xml'), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
    out.kafka = (/<kafka.version>([^<]+)</.exec(pom) || [])[1] ?? 'unknown';
  } catch {
    out.kafka = 'unknown';
  }
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke') || process.env.BENCH_SMOKE === '1';
  const names = args.filter((a) => !a.startsWith('--'));
  const selected = BENCHES.filter((b) => names.length === 0 || names.includes(b.name));
  if (names.length && selected.length !== names.length) {
    console.error(`unknown benchmark: ${names.filter((n) => !BENCHES.some((b) => b.name === n)).join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  const runs = smoke ? 1 : Number(process.env.BENCH_RUNS || 3);
  const t0 = Date.now();
  const services = await ensureServices({ pgPort: 54349, kafkaPort: 19292, log: (m) => console.error(m) });
  const env = { ...process.env, ...services.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', ...(smoke ? { BENCH_SMOKE: '1' } : {}) };
  const results = [];
  // Read while the services run: the report is written after they stopped.
  const versionsSeen = versions(env);
  try {
    execFileSync(process.execPath, [path.join(root, 'scripts/build.js')], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
    Object.assign(env, await databaseLoginsEnv(services));
    for (const bench of selected) {
      const script = path.join(__dirname, `${bench.name}.js`);
      if (!fs.existsSync(script)) {
        results.push({ bench, error: 'not written yet' });
        continue;
      }
      const samples = [];
      const started = Date.now();
      let error;
      for (let i = 0; i < runs; i++) {
        console.error(`bench ${bench.name}: run ${i + 1}/${runs}`);
        const r = spawnSync(process.execPath, [script], { env, cwd: root, encoding: 'utf8', timeout: smoke ? 120_000 : 600_000, maxBuffer: 64 * 1024 * 1024 });
        const last = (r.stdout || '').trim().split('\n').pop();
        try {
          if (r.status !== 0) throw new Error((r.stderr || '').trim().split('\n').slice(-3).join(' | ') || `exit ${r.status}`);
          samples.push(JSON.parse(last));
        } catch (e) {
          error = e.message;
          break;
        }
      }
      results.push({ bench, samples, error, seconds: (Date.now() - started) / 1000 });
    }
  } finally {
    await dropCaches(env).catch((e) => console.error(`bench: could not drop the cache databases: ${e.message}`));
    await services.stop();
  }
  const ok = results.every((r) => !r.error || r.error === 'not written yet');
  if (smoke) {
    for (const r of results) console.log(`bench ${r.bench.name}: ${r.error ? `FAILED: ${r.error}` : 'ok'}${r.seconds === undefined ? '' : ` (${r.seconds.toFixed(1)} s)`}`);
    process.exit(ok ? 0 : 1);
  }
  writeMarkdown(results, versionsSeen, args, runs, (Date.now() - t0) / 1000);
  process.exit(ok ? 0 : 1);
}

/**
 * Benches that need a big table build it ONCE per `npm run bench` into a database named
 * bench_cache_* (reused by their later runs); dropped here at the end unless BENCH_KEEP_CACHE=1.
 */
async function dropCaches(env) {
  if (process.env.BENCH_KEEP_CACHE === '1' || !env.DATABASE_URL) return;
  const { Client } = require('pg');
  const c = new Client({ connectionString: env.DATABASE_URL });
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_cache\\_%'`);
    for (const { datname } of rows) {
      await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      fs.rmSync(path.join(os.tmpdir(), `${datname}-secrets`), { recursive: true, force: true }); // its secrets dir, if any
    }
  } finally {
    await c.end();
  }
}

/** bench/notes.md: explanations kept by hand, one `## <bench name>` section per benchmark. */
function readNotes() {
  const file = path.join(__dirname, 'notes.md');
  if (!fs.existsSync(file)) return new Map();
  const out = new Map();
  let name = null;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^## (\S+)\s*$/.exec(line);
    if (m) {
      name = m[1];
      out.set(name, []);
    } else if (name) out.get(name).push(line);
  }
  for (const [k, v] of out) out.set(k, v.join('\n').trim());
  return out;
}

/**
 * The sections of the current BENCHMARKS.md by title, each marked with the day it was measured
 * (its own "Measured on" line, else the report's "Made by … on <day>").
 */
function previousSections() {
  const file = path.join(root, 'BENCHMARKS.md');
  const out = new Map();
  if (!fs.existsSync(file)) return out;
  const text = fs.readFileSync(file, 'utf8');
  const reportDay = /^Made by .* on (\d{4}-\d{2}-\d{2})/m.exec(text)?.[1] ?? 'an earlier day';
  for (const part of text.split(/^(?=## )/m).slice(1)) {
    const title = /^## (.*)$/m.exec(part)[1].trim();
    const marked = /^Measured on /m.test(part) ? part : part.replace(/^(## .*\n)/, `$1\nMeasured on ${reportDay} (not re-measured in the latest run).\n`);
    out.set(title, marked);
  }
  return out;
}

function writeMarkdown(results, v, args, runs, seconds) {
  const lines = [
    '# Benchmarks',
    '',
    `Made by \`npm run bench${args.length ? ' -- ' + args.join(' ') : ''}\` on ${new Date().toISOString().slice(0, 10)}, in ${seconds.toFixed(0)} s.`,
    `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${v.node}; PostgreSQL ${v.postgres}; Kafka ${v.kafka}.`,
    `Each figure is the median of ${runs} runs; the spread is min–max over those runs. Load comes from separate processes.`,
    `Load average (1/5/15 min) when the report was written: ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')} — the machine is shared with other engineers' test runs, so absolute figures move with it.`,
    '',
  ];
  const notes = readNotes();
  const earlier = previousSections();
  const ran = new Map(results.map((r) => [r.bench.name, r]));
  for (const bench of BENCHES) {
    if (ran.has(bench.name) || !earlier.has(bench.title)) continue;
    // A partial run (`npm run bench -- <name>…`) keeps the other benches' last report, saying so.
    results.push({ bench, kept: earlier.get(bench.title) });
  }
  results.sort((a, b) => BENCHES.indexOf(a.bench) - BENCHES.indexOf(b.bench));
  for (const { bench, samples, error, kept } of results) {
    if (kept) {
      lines.push(kept.replace(/\s+$/, ''), '');
      continue;
    }
    lines.push(`## ${bench.title}`, '', `Measured on ${new Date().toISOString().slice(0, 10)}.`, '', bench.description, '');
    if (error) {
      lines.push(`Not measured: ${error}.`, '');
      continue;
    }
    lines.push('| figure | median | spread | target | |', '| --- | ---: | ---: | ---: | --- |');
    const keys = [...new Set(samples.flatMap((s) => Object.keys(s)))].filter((k) => typeof samples[0][k] === 'number');
    for (const key of keys) {
      const xs = samples.map((s) => s[key]).filter((x) => typeof x === 'number');
      const m = median(xs);
      const target = bench.targets?.[key];
      const label = bench.labels?.[key] ?? key;
      lines.push(`| ${label} | ${fmt(m)} | ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))} | ${target ? `${target.better === 'lower' ? '≤' : '≥'} ${fmt(target.value)}` : ''} | ${verdict(m, target)} |`);
    }
    const benchNotes = samples.map((s) => s.notes).filter(Boolean);
    if (benchNotes.length) lines.push('', `Notes: ${benchNotes[0]}`);
    if (notes.get(bench.name)) lines.push('', notes.get(bench.name));
    lines.push('');
  }
  // Sections written by hand (measured by a command they name, not by a bench module) stay.
  for (const [title, text] of earlier) if (!BENCHES.some((b) => b.title === title)) lines.push(text.replace(/\s+$/, ''), '');
  fs.writeFileSync(path.join(root, 'BENCHMARKS.md'), lines.join('\n'));
  console.log('wrote BENCHMARKS.md');
}

main().catch((e) => {
  console.error(`npm run bench: ${e.message}`);
  process.exit(1);
});
