import { readTlsMaterial, SecretFileModeError, TlsMaterialError, type TlsMaterial } from '@passerelle/crypto';
import { ConfigError, parseConfig } from './config';

/**
 * How an app speaks gRPC: mutual TLS under the apps' private CA, or, only when
 * PASSERELLE_DEV_PLAINTEXT_GRPC=1 says so, plaintext without any caller identity.
 */
export type GrpcTls = { mode: 'mtls'; material: TlsMaterial } | { mode: 'plaintext' };

const TLS_VARIABLES = ['PASSERELLE_TLS_CA', 'PASSERELLE_TLS_CERT', 'PASSERELLE_TLS_KEY'] as const;

/**
 * Pure of process: reads and checks the TLS files the environment names for `identity`; throws
 * ConfigError naming the first problem (a missing variable, an unreadable or wrong file).
 */
export async function parseGrpcTls(identity: string, env: Record<string, string | undefined>): Promise<GrpcTls> {
  const c = parseConfig([...TLS_VARIABLES, 'PASSERELLE_DEV_PLAINTEXT_GRPC'], env);
  const given = TLS_VARIABLES.filter((v) => c[v] !== undefined);
  if (c.PASSERELLE_DEV_PLAINTEXT_GRPC === '1') {
    if (given.length > 0) throw new ConfigError('PASSERELLE_DEV_PLAINTEXT_GRPC', `is 1 but ${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} set too; choose mutual TLS or plaintext`);
    return { mode: 'plaintext' };
  }
  const missing = TLS_VARIABLES.find((v) => c[v] === undefined);
  if (missing) {
    throw new ConfigError(
      missing,
      'is missing: gRPC between the apps requires mutual TLS; issue certificates with `passerelle certs issue --dir <dir>` and set PASSERELLE_TLS_CA, PASSERELLE_TLS_CERT and PASSERELLE_TLS_KEY (or PASSERELLE_DEV_PLAINTEXT_GRPC=1, for local development only)',
    );
  }
  try {
    return { mode: 'mtls', material: await readTlsMaterial({ ca: c.PASSERELLE_TLS_CA!, cert: c.PASSERELLE_TLS_CERT!, key: c.PASSERELLE_TLS_KEY! }, identity) };
  } catch (e) {
    // The message names the file and what is wrong with it (mode, issuer, expiry, identity).
    if (e instanceof TlsMaterialError || e instanceof SecretFileModeError) throw new ConfigError('gRPC TLS:', (e as Error).message);
    throw e;
  }
}

/**
 * Loads an app's gRPC TLS at start; on error prints one line to stderr and exits 78, like
 * loadConfig. Plaintext is announced as an error line on every start: it must never go unnoticed.
 */
export async function loadGrpcTls(app: string, identity: string, warn: (msg: string) => void, env = process.env): Promise<GrpcTls> {
  try {
    const tls = await parseGrpcTls(identity, env);
    if (tls.mode === 'plaintext') {
      warn(
        `PLAINTEXT gRPC (PASSERELLE_DEV_PLAINTEXT_GRPC=1): no TLS and no caller authentication${app === 'consent-audit' ? '; ANY process that reaches this port may call EVERY RPC (append ledger entries, record consents)' : ''}. Local development only, never in production.`,
      );
    }
    return tls;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${app}: configuration error: ${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
}
