import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The test process's share of the apps' mutual TLS: one private CA and a certificate per
 * identity, made once per test process by the built CLI's `passerelle certs issue` (the code
 * `npm start` runs) in a temporary directory (0700, keys 0600) removed when the process exits.
 * Besides the apps, it holds `stranger`: a certificate of the same CA whose identity the
 * permission table does not name.
 */
const ROOT = path.resolve(__dirname, '../../..');
const TLS_VARIABLES = ['PASSERELLE_TLS_CA', 'PASSERELLE_TLS_CERT', 'PASSERELLE_TLS_KEY', 'PASSERELLE_DEV_PLAINTEXT_GRPC'];
/** The test identity that belongs to the CA but to no app. */
export const STRANGER = 'stranger';

export interface TestPki {
  dir: string;
  files(identity: string): { ca: string; cert: string; key: string };
}

function pkiAt(tlsDir: string): TestPki {
  return {
    dir: tlsDir,
    files: (identity) => ({ ca: path.join(tlsDir, 'ca.crt'), cert: path.join(tlsDir, `${identity}.crt`), key: path.join(tlsDir, `${identity}.key`) }),
  };
}

let shared: TestPki | undefined;

/** Makes a new PKI (its own CA) in a fresh temporary directory, removed at process exit. */
export function issueTestPki(extraIdentities: readonly string[] = [STRANGER]): TestPki {
  const cli = path.join(ROOT, 'dist', 'apps', 'cli', 'main.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it for you)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-test-pki-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const tlsDir = path.join(dir, 'tls');
  execFileSync(process.execPath, [cli, 'certs', 'issue', '--dir', tlsDir, ...extraIdentities.flatMap((id) => ['--identity', id])], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return pkiAt(tlsDir);
}

/**
 * This test process's PKI, made on first use, or the one a parent process made (its directory in
 * PASSERELLE_TEST_PKI_DIR, which child processes such as bench workers inherit).
 */
export function testPki(): TestPki {
  if (!shared) {
    const inherited = process.env.PASSERELLE_TEST_PKI_DIR;
    shared = inherited && fs.existsSync(path.join(inherited, 'ca.crt')) ? pkiAt(inherited) : issueTestPki();
    process.env.PASSERELLE_TEST_PKI_DIR = shared.dir;
  }
  return shared;
}

/** The PASSERELLE_TLS_* variables for an app (its own identity) under the test PKI. */
export function testTlsEnv(identity: string, pki: TestPki = testPki()): Record<string, string> {
  const f = pki.files(identity);
  return { PASSERELLE_TLS_CA: f.ca, PASSERELLE_TLS_CERT: f.cert, PASSERELLE_TLS_KEY: f.key };
}

/**
 * The environment with the app's test TLS added, unless the caller set any TLS variable itself
 * (even to '', to start an app without certificates). The CLI gets none: it speaks no gRPC.
 */
export function withTestTls(app: string, env: Record<string, string>): Record<string, string> {
  if (app === 'cli' || TLS_VARIABLES.some((v) => v in env)) return env;
  return { ...testTlsEnv(app), ...env };
}

/** consent-audit's certificate name, which clients check whatever address they dial. */
const SERVER_NAME = 'consent-audit';

/**
 * Credentials of a test client of consent-audit: `identity`'s certificate of the test PKI (or of
 * `pki`), or 'no-certificate' (TLS, trusting the CA, but showing none).
 */
export function testChannelCredentials(identity: string | 'no-certificate' = 'gateway', pki: TestPki = testPki()): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  const ca = fs.readFileSync(pki.files('ca').ca);
  const credentials =
    identity === 'no-certificate'
      ? grpc.credentials.createSsl(ca)
      : grpc.credentials.createSsl(ca, fs.readFileSync(pki.files(identity).key), fs.readFileSync(pki.files(identity).cert));
  return { credentials, options: { 'grpc.ssl_target_name_override': SERVER_NAME, 'grpc.default_authority': SERVER_NAME } };
}

/** Server credentials of a stand-in for consent-audit (fakes in tests) under the test PKI. */
export function testServerCredentials(pki: TestPki = testPki()): grpc.ServerCredentials {
  const f = pki.files(SERVER_NAME);
  return grpc.ServerCredentials.createSsl(fs.readFileSync(f.ca), [{ private_key: fs.readFileSync(f.key), cert_chain: fs.readFileSync(f.cert) }], true);
}
