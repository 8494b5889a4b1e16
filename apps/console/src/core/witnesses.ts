import { concat, utf8 } from './bytes';

/**
 * Witness status in the browser (docs/witness.md): the cosignatures of the latest checkpoint,
 * checked here with WebCrypto against the witnesses' keys from the registry (C2SP signed-note,
 * tlog-checkpoint, tlog-cosignature), and a verifier policy "<n> of {a, b}" over them.
 */

export interface WitnessKey {
  name: string;
  /** `<name>+<8 hex key ID>+<base64(0x04 ‖ 32-byte Ed25519 key)>` */
  vkey: string;
}

export type CosignatureState = 'ok' | 'missing' | 'invalid';

export interface WitnessStatus {
  name: string;
  state: CosignatureState;
  /** the checkpoint size it cosigned (ok) */
  size?: number;
  /** its cosignature timestamp, POSIX seconds (ok) */
  time?: number;
  detail?: string;
}

export interface CheckpointView {
  origin: string;
  size: number;
  /** base64 root as the checkpoint states it */
  root: string;
}

const SIG_COSIGNATURE_V1 = 0x04;

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error('not base64');
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Splits a signed note into its text (ending in "\n") and signature lines `{name, blob}`. */
export function splitNote(note: string): { text: string; signatures: { name: string; blob: Uint8Array<ArrayBuffer> }[] } {
  const at = note.lastIndexOf('\n\n');
  if (at < 0 || !note.endsWith('\n')) throw new Error('not a signed note');
  const text = note.slice(0, at + 1);
  const signatures = note
    .slice(at + 2, -1)
    .split('\n')
    .map((line) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new Error('malformed signature line');
      return { name: m[1], blob: fromBase64(m[2]) };
    });
  return { text, signatures };
}

/** The checkpoint body: origin, size, root (extension lines ignored). */
export function checkpointOf(text: string): CheckpointView {
  const [origin, size, root] = text.split('\n');
  if (!origin || !/^(0|[1-9][0-9]*)$/.test(size ?? '') || !root) throw new Error('not a checkpoint');
  return { origin, size: Number(size), root };
}

async function keyId(name: string, type: number, publicKey: Uint8Array): Promise<number> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', concat(utf8(name), new Uint8Array([0x0a, type]), publicKey)));
  return ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
}

/** Parses a cosigner vkey (type 0x04), checking its key ID. */
export async function parseWitnessVkey(vkey: string): Promise<{ name: string; id: number; publicKey: Uint8Array<ArrayBuffer> }> {
  // name+hash+key: the name and hash hold no "+", the base64 key may.
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey);
  if (!m) throw new Error('bad vkey');
  const parts = [m[1], m[2], m[3]];
  const bytes = fromBase64(parts[2]);
  if (bytes.length !== 33 || bytes[0] !== SIG_COSIGNATURE_V1) throw new Error('not a cosignature/v1 key');
  const publicKey = bytes.slice(1);
  const id = parseInt(parts[1], 16);
  if ((await keyId(parts[0], SIG_COSIGNATURE_V1, publicKey)) !== id) throw new Error('key ID does not match the key');
  return { name: parts[0], id, publicKey };
}

/** Each witness's cosignature of this checkpoint note: ok (verified), invalid, or missing. */
export async function witnessStatuses(note: string, witnesses: readonly WitnessKey[]): Promise<WitnessStatus[]> {
  const { text, signatures } = splitNote(note);
  const { size } = checkpointOf(text);
  const out: WitnessStatus[] = [];
  for (const w of witnesses) {
    let key: Awaited<ReturnType<typeof parseWitnessVkey>>;
    try {
      key = await parseWitnessVkey(w.vkey);
    } catch (e) {
      out.push({ name: w.name, state: 'invalid', detail: (e as Error).message });
      continue;
    }
    const line = signatures.find((s) => s.name === key.name && s.blob.length >= 4 && new DataView(s.blob.buffer, s.blob.byteOffset).getUint32(0) === key.id);
    if (!line) {
      out.push({ name: w.name, state: 'missing' });
      continue;
    }
    if (line.blob.length !== 4 + 72) {
      out.push({ name: w.name, state: 'invalid', detail: 'not a cosignature/v1 signature' });
      continue;
    }
    const time = Number(new DataView(line.blob.buffer, line.blob.byteOffset).getBigUint64(4));
    const message = concat(utf8(`cosignature/v1\ntime ${time}\n`), utf8(text));
    const publicKey = await crypto.subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, line.blob.slice(12), message);
    out.push(ok ? { name: w.name, state: 'ok', size, time } : { name: w.name, state: 'invalid', detail: 'signature does not verify' });
  }
  return out;
}

export interface PolicyResult {
  satisfied: boolean;
  cosigned: string[];
  missing: string[];
}

/** Parses "<n> of {a, b}", "all of {…}" or "any of {…}" (one group; nesting is the CLI's). */
export function parsePolicy(text: string): { threshold: number; names: string[] } {
  const m = /^\s*(all|any|\d+)\s+of\s+\{([^{}]*)\}\s*$/.exec(text);
  if (!m) throw new Error('a policy reads "<n> of {a, b}", "all of {…}" or "any of {…}"');
  const names = [...new Set(m[2].split(',').map((s) => s.trim()).filter(Boolean))];
  const threshold = m[1] === 'all' ? names.length : m[1] === 'any' ? 1 : Number(m[1]);
  if (names.length === 0 || threshold < 1 || threshold > names.length) throw new Error(`the threshold must be from 1 to ${names.length}`);
  return { threshold, names };
}

/** Whether the statuses meet the policy; `missing` names the policy's witnesses without a valid cosignature. */
export function checkPolicy(policy: { threshold: number; names: string[] }, statuses: readonly WitnessStatus[]): PolicyResult {
  const ok = new Set(statuses.filter((s) => s.state === 'ok').map((s) => s.name));
  const cosigned = policy.names.filter((n) => ok.has(n)).sort();
  const satisfied = cosigned.length >= policy.threshold;
  return { satisfied, cosigned, missing: satisfied ? [] : policy.names.filter((n) => !ok.has(n)).sort() };
}
