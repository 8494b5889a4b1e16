import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import { readSecretFile } from './secret-files';

/** The files an app presents and trusts on gRPC: the private CA, its own certificate and key. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** Loaded and checked mutual-TLS material, ready for grpc-js credentials. */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** the certificate's subject CN: the identity consent-audit authorises */
  identity: string;
  notAfter: Date;
  files: TlsFiles;
}

/** A TLS file that cannot be used, naming the file and what is wrong with it. */
export class TlsMaterialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsMaterialError';
  }
}

/** The CN of an X.509 subject as Node prints it ("CN=gateway\nO=Passerelle"). */
export function commonName(subject: string): string | undefined {
  for (const line of subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

async function readPublicFile(file: string, what: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    throw new TlsMaterialError(`cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function parseCertificate(pem: Buffer, file: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new TlsMaterialError(`the ${what} ${file} is not a PEM X.509 certificate`);
  }
}

/**
 * Reads and checks an app's TLS files: the key is private to its owner (0600), the certificate
 * was issued by the CA, is valid now and matches the key, and names the identity expected of
 * this app (so a certificate swapped between apps is caught at start, not at the first call).
 */
export async function readTlsMaterial(files: TlsFiles, expectedIdentity: string, now = new Date()): Promise<TlsMaterial> {
  const ca = await readPublicFile(files.ca, 'CA certificate');
  const cert = await readPublicFile(files.cert, 'certificate');
  let key: Buffer;
  try {
    key = await readSecretFile(files.key);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TlsMaterialError(code ? `cannot read the private key ${files.key}: ${code}` : (e as Error).message);
  }
  const caCert = parseCertificate(ca, files.ca, 'CA certificate');
  const own = parseCertificate(cert, files.cert, 'certificate');
  if (!caCert.ca) throw new TlsMaterialError(`the CA certificate ${files.ca} is not a CA certificate`);
  if (!own.checkIssued(caCert) || !own.verify(caCert.publicKey)) {
    throw new TlsMaterialError(`the certificate ${files.cert} was not issued by the CA in ${files.ca}`);
  }
  const notBefore = new Date(own.validFrom);
  const notAfter = new Date(own.validTo);
  if (now < notBefore) throw new TlsMaterialError(`the certificate ${files.cert} is not valid before ${notBefore.toISOString()}`);
  if (now > notAfter) throw new TlsMaterialError(`the certificate ${files.cert} expired on ${notAfter.toISOString()}; issue a new one with \`passerelle certs rotate\``);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsMaterialError(`the private key ${files.key} is not a PEM private key`);
  }
  if (!own.checkPrivateKey(privateKey)) throw new TlsMaterialError(`the private key ${files.key} does not match the certificate ${files.cert}`);
  const identity = commonName(own.subject);
  if (identity !== expectedIdentity) {
    throw new TlsMaterialError(`the certificate ${files.cert} is issued to ${JSON.stringify(identity ?? '')}, not to ${expectedIdentity}`);
  }
  return { ca, cert, key, identity, notAfter, files };
}
