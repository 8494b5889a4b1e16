import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { checkRecord, KeyedMutex, type LogRecord, type StoreUpdate, type WitnessStore } from './store';

const RECORD = /^[0-9a-f]{64}\.json$/;

/**
 * One JSON file per log under `<dir>/logs/`, named by SHA-256(origin) so any origin is a safe
 * file name. Each write goes to a private temporary file, is fsynced, renamed over the record
 * and the directory fsynced: a crash leaves the old record or the new one, never half of one.
 * A lock file keeps a second process from serving the same state (the per-origin atomicity the
 * spec requires holds only within one process).
 */
export class FileWitnessStore implements WitnessStore {
  private readonly mutex = new KeyedMutex();
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly lockFile: string | undefined,
  ) {}

  static async open(dir: string): Promise<FileWitnessStore> {
    await fs.mkdir(path.join(dir, 'logs'), { recursive: true, mode: 0o700 });
    await fs.chmod(dir, 0o700);
    const lockFile = path.join(dir, 'witness.lock');
    await takeLock(lockFile);
    return new FileWitnessStore(dir, lockFile);
  }

  /**
   * Reads the state of a witness that may be running (an auditor printing its evidence): no
   * lock, and `update` refuses. Each record is read whole, as renames replace files whole.
   */
  static async openReadOnly(dir: string): Promise<FileWitnessStore> {
    const st = await fs.stat(path.join(dir, 'logs')).catch(() => undefined);
    if (!st?.isDirectory()) throw new Error(`${dir} is not a witness state directory (no logs/ inside)`);
    return new FileWitnessStore(dir, undefined);
  }

  private file(origin: string): string {
    return path.join(this.dir, 'logs', `${createHash('sha256').update(origin, 'utf8').digest('hex')}.json`);
  }

  update<T>(origin: string, f: (current: LogRecord | undefined) => StoreUpdate<T>): Promise<T> {
    return this.mutex.run(origin, async () => {
      this.assertOpen();
      if (!this.lockFile) throw new Error('this witness state store is open read-only');
      const file = this.file(origin);
      const current = await readRecord(file, origin);
      const { next, result } = f(current);
      if (next) await writeAtomically(file, `${JSON.stringify(checkRecord(origin, next), null, 1)}\n`);
      return result;
    });
  }

  async get(origin: string): Promise<LogRecord | undefined> {
    this.assertOpen();
    return readRecord(this.file(origin), origin);
  }

  async origins(): Promise<string[]> {
    this.assertOpen();
    const names = (await fs.readdir(path.join(this.dir, 'logs'))).filter((n) => RECORD.test(n));
    const out: string[] = [];
    for (const n of names) {
      const r = JSON.parse(await fs.readFile(path.join(this.dir, 'logs', n), 'utf8')) as LogRecord;
      out.push(r.origin);
    }
    return out.sort();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.lockFile) await fs.unlink(this.lockFile).catch(() => undefined);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the witness state store is closed');
  }
}

async function readRecord(file: string, origin: string): Promise<LogRecord | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const record = JSON.parse(text) as LogRecord;
  if (record.origin !== origin || !Array.isArray(record.evidence)) throw new Error(`witness state file ${path.basename(file)} is not the record of the log it is named after`);
  return record;
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
  const dir = await fs.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Creates the lock file, or takes over one left by a process that is gone. */
async function takeLock(lockFile: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number((await fs.readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new Error(`the witness state directory is in use by process ${pid} (${lockFile})`);
    }
    await fs.unlink(lockFile).catch(() => undefined);
  }
  throw new Error(`could not take the witness state lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
