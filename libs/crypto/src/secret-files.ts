import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Creates the secrets directory (0700) if absent. */
export async function ensureSecretsDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Writes a secret file with mode 0600, atomically and without overwriting: when another
 * process won the race, its file is kept and returned as 'exists'.
 */
export async function writeSecretFile(file: string, content: string): Promise<'created' | 'exists'> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(tmp, file);
    return 'created';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
    throw e;
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}

/**
 * Why a private file's mode is refused, or null when only its owner may use it. As ssh does for
 * its keys: any permission bit for group or others (read, write or execute) is refused.
 */
export function privateFileModeProblem(mode: number): string | null {
  const perms = mode & 0o777;
  if ((perms & 0o077) === 0) return null;
  return `has mode 0${perms.toString(8).padStart(3, '0')}: it is accessible by group or others; private keys must be 0600 (run chmod 600)`;
}

export class SecretFileModeError extends Error {
  constructor(readonly file: string, readonly mode: number, problem: string) {
    super(`private key file ${file} ${problem}`);
    this.name = 'SecretFileModeError';
  }
}

/**
 * Reads a private file, refusing it when group or others may access it (checked on the opened
 * file itself, so a swap between check and read cannot slip past).
 */
export async function readSecretFile(file: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const { mode } = await handle.stat();
    const problem = privateFileModeProblem(mode);
    if (problem) throw new SecretFileModeError(file, mode & 0o777, problem);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Reads a private JSON file (key, keyring), refused unless private to its owner. */
export async function readJsonFile<T>(file: string): Promise<T> {
  return JSON.parse((await readSecretFile(file)).toString('utf8')) as T;
}
