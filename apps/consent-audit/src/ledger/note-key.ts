import fs from 'node:fs/promises';
import path from 'node:path';
import { ed25519Signer, formatPrivateKey, formatVkey, generateKeyPair, parsePrivateKey, SIG_ED25519, type NoteSigner } from '@passerelle/checkpoint';
import { writeSecretFile } from '@passerelle/crypto';

/**
 * The log's C2SP note key (signed-note type 0x01): it signs tlog-checkpoints and nothing else.
 * Its own key, neither the JWS tree-head key (log-key.ts) nor the gateway's: a witness or a Go
 * verifier trusts it by its vkey alone. Only consent-audit loads it. Its name is the log's origin.
 */
export interface NoteKey {
  origin: string;
  signer: NoteSigner;
  /** `<origin>+<key ID>+<base64>`: what witnesses and verifiers are given */
  vkey: string;
}

export const NOTE_KEY = Symbol('NOTE_KEY');

const KEY_FILE = 'log-note.key';
/** The public vkey, for the gateway to serve and operators to hand to witnesses. */
export const LOG_NOTE_VKEY_FILE = 'public/log-note.vkey';

/** The origin of a new log: the registry's gatewayId, so two deployments never share one. */
export function defaultOrigin(gatewayId: string): string {
  return `${gatewayId}/ledger`;
}

/**
 * Loads `<keyDir>/log-note.key` (PRIVATE+KEY+… as Go's note.GenerateKey writes it), creating it
 * (0600, in a 0700 directory) on first start with `origin` as its name, and publishes its vkey to
 * `<secretsDir>/public/log-note.vkey`. A key file readable by group or others is refused; an
 * existing key keeps its name (the origin never changes under a log's witnesses).
 */
export async function loadNoteKey(keyDir: string, secretsDir: string, origin: string): Promise<NoteKey> {
  const file = path.join(keyDir, KEY_FILE);
  await fs.mkdir(keyDir, { recursive: true, mode: 0o700 });
  // A twin instance may win the race: its key is kept and read below.
  await writeSecretFile(file, `${formatPrivateKey(generateKeyPair(origin, SIG_ED25519))}\n`);
  const mode = (await fs.stat(file)).mode & 0o777;
  if (mode & 0o077) throw new Error(`${file} is readable by group or others (mode ${mode.toString(8)}): chmod 600 it`);
  const pair = parsePrivateKey(await fs.readFile(file, 'utf8'));
  if (pair.type !== SIG_ED25519) throw new Error(`${file} is not an Ed25519 note key (type 0x01)`);
  const vkey = formatVkey(pair.name, SIG_ED25519, pair.publicKey);
  const pub = path.join(secretsDir, LOG_NOTE_VKEY_FILE);
  await fs.mkdir(path.dirname(pub), { recursive: true, mode: 0o755 });
  const tmp = `${pub}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${vkey}\n`, { mode: 0o644 });
  await fs.rename(tmp, pub);
  return { origin: pair.name, signer: ed25519Signer(pair), vkey };
}
