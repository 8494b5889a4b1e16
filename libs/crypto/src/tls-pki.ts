// @peculiar/x509 resolves its algorithm providers with tsyringe, which needs the Reflect polyfill first.
import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { privateFileModeProblem, readSecretFile } from './secret-files';
import type { TlsFiles } from './tls-material';

/**
 * The private PKI of the apps' gRPC links: one CA, and per app one ECDSA P-256 key and
 * certificate whose CN is the app's identity (what consent-audit authorises). Layout of `dir`:
 * ca.crt, ca.key, <identity>.crt, <identity>.key (keys 0600, the directory 0700).
 */
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const crypto = webcrypto;
x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALG = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALG = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 24 * 3600 * 1000;

/** The identities `npm start` provisions, with the side of the TLS link each one holds. */
export const APP_TLS_IDENTITIES = { 'consent-audit': 'server', gateway: 'client', 'job-match-consumer': 'client' } as const;
export type TlsRole = 'server' | 'client';

const IDENTITY = /^[a-z][a-z0-9-]{0,62}$/;

export interface PkiOptions {
  now?: Date;
  /** lifetime of a new app certificate (default 365 days) */
  leafDays?: number;
  /** lifetime of a new CA (default 10 years) */
  caDays?: number;
  /** an app certificate expiring within this many days is renewed by `issue` (default 30) */
  renewWithinDays?: number;
}

export interface IssueRequest extends PkiOptions {
  /** identity -> role; defaults to APP_TLS_IDENTITIES */
  identities?: Record<string, TlsRole>;
  /** identities to re-key even though their certificate is still good */
  rotate?: readonly string[];
  /** a new CA (and so new certificates for every identity) */
  rotateCa?: boolean;
}

export type IssueAction = 'issued' | 'renewed' | 'kept';
export interface IssueReport {
  ca: 'created' | 'kept';
  identities: Array<{ identity: string; action: IssueAction; reason?: string; notAfter: string }>;
}

export function tlsFilesOf(dir: string, identity: string): TlsFiles {
  return { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, `${identity}.crt`), key: path.join(dir, `${identity}.key`) };
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f; // a positive INTEGER
  return bytes.toString('hex');
}

function pemKey(pkcs8: ArrayBuffer): string {
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

interface Ca {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

/** A new self-signed CA that may sign end-entity certificates only (path length 0). */
export async function createCa(name: string, opts: PkiOptions = {}): Promise<{ certPem: string; keyPem: string }> {
  const now = opts.now ?? new Date();
  const keys = (await crypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${name}, O=Passerelle`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (opts.caDays ?? 3650) * DAY_MS),
    signingAlgorithm: SIGNING_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: pemKey(await crypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** A new key and certificate for one identity, signed by the CA. */
export async function issueCertificate(ca: Ca, identity: string, role: TlsRole, opts: PkiOptions = {}): Promise<{ certPem: string; keyPem: string; notAfter: Date }> {
  if (!IDENTITY.test(identity)) throw new Error(`identity ${JSON.stringify(identity)} must be lower-case letters, digits and dashes (e.g. gateway)`);
  const now = opts.now ?? new Date();
  const notAfter = new Date(Math.min(now.getTime() + (opts.leafDays ?? 365) * DAY_MS, ca.cert.notAfter.getTime()));
  const keys = (await crypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${identity}, O=Passerelle`,
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    signingAlgorithm: SIGNING_ALG,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([role === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth], false),
      // Clients check the server under this name whatever address they dial (ssl_target_name_override).
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: identity }], false),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: pemKey(await crypto.subtle.exportKey('pkcs8', keys.privateKey)), notAfter };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

/** Replaces a file atomically (a reader sees the old or the new content, never half of one). */
async function replaceFile(file: string, content: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, content, { mode, flag: 'wx' });
  await fs.chmod(tmp, mode);
  await fs.rename(tmp, file);
}

async function loadCa(dir: string): Promise<Ca> {
  const files = tlsFilesOf(dir, 'ca');
  const cert = new x509.X509Certificate(await fs.readFile(files.ca, 'utf8'));
  let keyPem: Buffer;
  try {
    keyPem = await readSecretFile(path.join(dir, 'ca.key'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${path.join(dir, 'ca.key')} is missing: certificates can be issued only where the CA key is`);
    throw e;
  }
  const der = x509.PemConverter.decodeFirst(keyPem.toString('utf8'));
  const key = await crypto.subtle.importKey('pkcs8', der, KEY_ALG, false, ['sign']);
  return { cert, key };
}

/** Why an identity's current files need a new certificate, or null when they are good. */
async function renewalReason(dir: string, identity: string, caPem: string, now: Date, renewWithinDays: number): Promise<string | null> {
  const files = tlsFilesOf(dir, identity);
  if (!(await exists(files.cert)) || !(await exists(files.key))) return 'missing';
  try {
    const cert = new NodeX509(await fs.readFile(files.cert));
    const ca = new NodeX509(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'not issued by the current CA';
    if (Date.parse(cert.validTo) - now.getTime() < renewWithinDays * DAY_MS) return `expires ${new Date(cert.validTo).toISOString()}`;
    const stat = await fs.stat(files.key);
    if (privateFileModeProblem(stat.mode)) return 'key file accessible by group or others';
    if (!cert.checkPrivateKey(createPrivateKey(await fs.readFile(files.key)))) return 'key does not match certificate';
  } catch {
    return 'unreadable';
  }
  return null;
}

/**
 * Makes `dir` hold a CA and a good certificate for every identity: creates the CA when absent
 * (or when rotateCa), issues what is missing, renews what expires soon or was issued by another
 * CA, re-keys the identities named in `rotate`, and keeps the rest. Idempotent: `npm start` runs
 * it on every start. Running apps keep their loaded certificate until restarted.
 */
export async function issueCertificates(dir: string, req: IssueRequest = {}): Promise<IssueReport> {
  const now = req.now ?? new Date();
  const identities = req.identities ?? APP_TLS_IDENTITIES;
  for (const name of [...Object.keys(identities), ...(req.rotate ?? [])]) {
    if (!IDENTITY.test(name)) throw new Error(`identity ${JSON.stringify(name)} must be lower-case letters, digits and dashes (e.g. gateway)`);
    if (name === 'ca') throw new Error('"ca" is the CA\'s own file name, not an identity');
  }
  for (const name of req.rotate ?? []) if (!(name in identities)) throw new Error(`cannot rotate ${name}: not one of ${Object.keys(identities).join(', ')}`);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  const caCertFile = path.join(dir, 'ca.crt');
  let caAction: IssueReport['ca'] = 'kept';
  if (req.rotateCa || !(await exists(caCertFile))) {
    if (!req.rotateCa && (await exists(path.join(dir, 'ca.key')))) throw new Error(`${path.join(dir, 'ca.key')} exists without ca.crt; refusing to replace a CA key (move it away first)`);
    const ca = await createCa('Passerelle apps CA', { ...req, now });
    await replaceFile(path.join(dir, 'ca.key'), ca.keyPem, 0o600);
    await replaceFile(caCertFile, ca.certPem, 0o644);
    caAction = 'created';
  }
  const caPem = await fs.readFile(caCertFile, 'utf8');
  let ca: Ca | undefined;
  const report: IssueReport = { ca: caAction, identities: [] };
  for (const [identity, role] of Object.entries(identities)) {
    const forced = req.rotate?.includes(identity) ? 'rotation requested' : null;
    const reason = forced ?? (await renewalReason(dir, identity, caPem, now, req.renewWithinDays ?? 30));
    const files = tlsFilesOf(dir, identity);
    if (reason === null) {
      report.identities.push({ identity, action: 'kept', notAfter: new Date(new NodeX509(await fs.readFile(files.cert)).validTo).toISOString() });
      continue;
    }
    ca ??= await loadCa(dir);
    const issued = await issueCertificate(ca, identity, role, { ...req, now });
    // Key first: an app starting in between sees a mismatch and refuses clearly, never a stale pair.
    await replaceFile(files.key, issued.keyPem, 0o600);
    await replaceFile(files.cert, issued.certPem, 0o644);
    report.identities.push({ identity, action: reason === 'missing' ? 'issued' : 'renewed', reason, notAfter: issued.notAfter.toISOString() });
  }
  return report;
}
