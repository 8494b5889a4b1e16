import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { withTestTls } from './test-pki';
import { withAppDatabaseLogin } from './app-database';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export function kafkaBrokers(): string {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: run the suite with `npm test`, which starts Kafka when none is given');
  return brokers;
}

/**
 * A port for a child process to listen on. Asking the kernel for port 0 and closing it races:
 * the port goes back to the ephemeral pool, where any outgoing connection on the machine (a pg
 * or Kafka client) or another suite's port-0 pick may take it before the child binds. So ports
 * come from below the kernel's ephemeral range (never handed out implicitly), each reserved
 * across every process on the machine by an exclusive file naming its owner's pid (reclaimed
 * once that pid is gone), and checked free by binding it.
 */
export async function freePort(): Promise<number> {
  const [low, high] = reservablePorts();
  fs.mkdirSync(PORT_RESERVATIONS, { recursive: true, mode: 0o777 });
  const span = high - low + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = low + ((start + i) % span);
    if (!reserve(port)) continue;
    if (await bindable(port)) return port;
    // someone outside our reservations listens there: keep the reservation so no one retries it
  }
  throw new Error(`no free port in ${low}-${high}: ${PORT_RESERVATIONS} holds stale reservations?`);
}

const PORT_RESERVATIONS = path.join(os.tmpdir(), 'passerelle-test-ports');

function reservablePorts(): [number, number] {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    /* not Linux: the usual default */
  }
  return [20000, Math.max(21000, ephemeralLow - 1)];
}

function reserve(port: number): boolean {
  const file = path.join(PORT_RESERVATIONS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // kept for this process's life (a test file may stop and restart an app on its port);
      // reclaimed by whoever meets it once the process is gone
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!ownerGone(file)) return false;
      fs.rmSync(file, { force: true }); // its owner died without cleaning up
    }
  }
  return false;
}

function ownerGone(file: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8'));
  } catch {
    return false; // being written, or just removed
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function bindable(port: number): Promise<boolean> {
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    const ok = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (!ok) return false;
  }
  return true;
}

export interface RunningApp {
  proc: ChildProcess;
  /** every stdout/stderr line so far (structured JSON logs, mostly) */
  lines: string[];
  exited: Promise<number | null>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export type AppName = 'gateway' | 'consent-audit' | 'job-match-consumer' | 'cli';

/** The built entry of an app (`npm test` builds first). */
export function appMain(app: AppName): string {
  const main = path.join(REPO_ROOT, 'dist', 'apps', app, 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (npm test does it for you)`);
  return main;
}

/**
 * Spawns a built app with the given environment and waits until `ready` resolves
 * (e.g. an HTTP health URL answering, or a log line appearing).
 */
export async function startApp(
  app: AppName,
  env: Record<string, string>,
  ready: { httpUrl?: string; logLine?: RegExp; timeoutMs?: number } = {},
  args: string[] = [],
): Promise<RunningApp> {
  const proc = spawn(process.execPath, [appMain(app), ...args], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', ...withTestTls(app, withAppDatabaseLogin(app, env)) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
  };
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const running: RunningApp = {
    proc,
    lines,
    exited,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
    kill9: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
  // PASSERELLE_TEST_READY_MS: at least this long on a loaded machine (shared CI runners); unset, nothing changes.
  const deadline = Date.now() + Math.max(ready.timeoutMs ?? 30_000, Number(process.env.PASSERELLE_TEST_READY_MS) || 0);
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${app} exited (${exitCode}) before it was ready:\n${lines.slice(-20).join('\n')}`);
    if (ready.logLine && lines.some((l) => ready.logLine!.test(l))) break;
    if (ready.httpUrl) {
      try {
        const res = await fetch(ready.httpUrl);
        if (res.status < 500) break;
      } catch {
        /* not yet */
      }
    }
    if (!ready.httpUrl && !ready.logLine) break;
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error(`${app} was not ready in time:\n${lines.slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return running;
}

/** Runs a built app to completion (the CLI, or an app expected to refuse to start). */
export async function runApp(app: AppName, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [appMain(app), ...args], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...withAppDatabaseLogin(app, env) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => (stdout += c));
    proc.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${app} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
