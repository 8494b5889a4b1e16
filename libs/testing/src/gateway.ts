import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, startApp, type RunningApp } from './processes';

export interface TestGateway {
  url: string;
  port: number;
  app: RunningApp;
  secretsDir: string;
  stop(): Promise<void>;
}

/**
 * Starts the built gateway on a free port with the given registry file, database and ledger
 * (CONSENT_AUDIT_URL, e.g. a fake ledger's url). A fresh secrets dir is made unless given
 * (two gateways sharing one must be given the same one).
 */
export async function startTestGateway(opts: { registryFile: string; databaseUrl: string; consentAuditUrl: string; secretsDir?: string; env?: Record<string, string> }): Promise<TestGateway> {
  const port = await freePort();
  const secretsDir = opts.secretsDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-secrets-')));
  const app = await startApp(
    'gateway',
    {
      DATABASE_URL: opts.databaseUrl,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      PASSERELLE_REGISTRY: opts.registryFile,
      PASSERELLE_SECRETS_DIR: secretsDir,
      GATEWAY_PORT: String(port),
      CONSENT_AUDIT_URL: opts.consentAuditUrl,
      ...opts.env,
    },
    { httpUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`, timeoutMs: 30_000 },
  );
  return { url: `http://127.0.0.1:${port}`, port, app, secretsDir, stop: () => app.stop() };
}
