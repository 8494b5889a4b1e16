import { cosignatureVerifier } from './cosignature';
import { ed25519Verifier, parseVkey, SIG_COSIGNATURE_V1, SIG_ED25519, type NoteVerifier } from './keys';

/** A verifier from a vkey string: type 0x01 checks note signatures, 0x04 checks cosignatures. */
export function verifierFromVkey(vkey: string): NoteVerifier {
  const k = parseVkey(vkey);
  if (k.type === SIG_ED25519) return ed25519Verifier(k.name, k.publicKey);
  if (k.type === SIG_COSIGNATURE_V1) return cosignatureVerifier(k.name, k.publicKey);
  throw new Error('unreachable: parseVkey admits only 0x01 and 0x04');
}
