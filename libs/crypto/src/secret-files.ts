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

export async function readJsonFile<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as T;
}
