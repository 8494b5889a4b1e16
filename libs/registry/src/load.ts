import fs from 'node:fs/promises';
import { checkRegistryText } from './check';
import { registryVersion } from './registry';
import type { RegistryDocument, RegistryProblem } from './types';

export function formatProblem(file: string, p: RegistryProblem): string {
  return `${file}:${p.line ?? 1} ${p.pointer || '/'}: ${p.message}`;
}

/** A registry file that cannot be used; `problems` names every reason. */
export class RegistryError extends Error {
  constructor(
    readonly file: string,
    readonly problems: RegistryProblem[],
  ) {
    super(`registry ${file} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  ${formatProblem(file, p)}`).join('\n')}`);
    this.name = 'RegistryError';
  }
}

/** Reads and checks a registry file; throws RegistryError naming every problem. */
export async function loadRegistryFile(file: string): Promise<RegistryDocument> {
  return (await readRegistryFile(file)).document;
}

/** Reads and checks a registry file, with its version (SHA-256 of the bytes read). */
export async function readRegistryFile(file: string): Promise<{ document: RegistryDocument; version: string }> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw new RegistryError(file, [{ pointer: '', message: `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  const { registry, problems } = checkRegistryText(bytes.toString('utf8'));
  if (!registry) throw new RegistryError(file, problems);
  return { document: registry, version: registryVersion(bytes) };
}
