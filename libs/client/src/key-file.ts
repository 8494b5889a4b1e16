import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { readSecretFile, SecretFileModeError } from '@passerelle/crypto';
import type { AgencyAlg } from './sign';

/** A private agency key as kept in a file (`<agency>.private.jwk.json`, mode 0600): the JWK with kid and alg. */
export interface AgencyKeyFile extends JWK {
  kid: string;
  alg: AgencyAlg;
}

/** kid like `qc.mifi-2026-01-3f9a2c`: agency, month of creation, random suffix. */
export function newKid(agency: string, at = new Date()): string {
  return `${agency}-${at.toISOString().slice(0, 7)}-${randomBytes(3).toString('hex')}`;
}

export async function generateAgencyKeyFile(agency: string, alg: AgencyAlg = 'EdDSA', at = new Date()): Promise<AgencyKeyFile> {
  const { privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: newKid(agency, at), alg };
}

/** The registry entry for a private key file: public members only, with kid, alg, status and use. */
export function publicRegistryKey(key: AgencyKeyFile, status: 'active' | 'retired' | 'revoked' = 'active'): JWK & { kid: string; alg: AgencyAlg; status: string } {
  const { kty, crv, x, y } = key;
  return { kty, crv, x, ...(y !== undefined ? { y } : {}), kid: key.kid, alg: key.alg, status, use: 'sig' };
}

/**
 * Reads a private key file, with a clear error naming what is wrong; a file that group or others
 * may access is refused (as ssh refuses such keys): the key may already be someone else's.
 */
export async function readAgencyKeyFile(file: string): Promise<AgencyKeyFile> {
  let value: unknown;
  try {
    value = JSON.parse((await readSecretFile(file)).toString('utf8'));
  } catch (e) {
    if (e instanceof SecretFileModeError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot read key file ${file}: ${code ?? 'not JSON'}`);
  }
  const k = value as Partial<AgencyKeyFile>;
  if (typeof k !== 'object' || k === null) throw new Error(`key file ${file} is not a JWK object`);
  if (typeof k.kid !== 'string' || !k.kid) throw new Error(`key file ${file} has no kid`);
  if (k.alg !== 'EdDSA' && k.alg !== 'ES256') throw new Error(`key file ${file} has alg ${String(k.alg)}; expected EdDSA or ES256`);
  if (typeof k.d !== 'string') throw new Error(`key file ${file} holds no private key (no 'd')`);
  return k as AgencyKeyFile;
}
