import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { uniqueName } from './names';
import { freePort, kafkaBrokers, startApp, type RunningApp } from './processes';

export interface TestConsentAudit {
  /** host:port of its gRPC server, for CONSENT_AUDIT_URL and gRPC clients */
  url: string;
  /** http://127.0.0.1:<port> of its health and metrics server */
  metricsUrl: string;
  app: RunningApp;
  secretsDir: string;
  stop(): Promise<void>;
}

/**
 * Starts the built consent-audit with the given registry file and database, on free gRPC and
 * metrics ports, publishing consent events to a topic of its own, and waits until it listens.
 * A fresh secrets dir is made unless given (a gateway beside it must be given the same one).
 * `env` adds or overrides variables (e.g. PASSERELLE_CONSENT_TOPIC, KAFKA_BROKERS).
 */
export async function startTestConsentAudit(opts: { registryFile: string; databaseUrl: string; secretsDir?: string; env?: Record<string, string> }): Promise<TestConsentAudit> {
  const secretsDir = opts.secretsDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-secrets-')));
  const env: Record<string, string> = {
    DATABASE_URL: opts.databaseUrl,
    KAFKA_BROKERS: opts.env?.KAFKA_BROKERS ?? kafkaBrokers(),
    PASSERELLE_REGISTRY: opts.registryFile,
    PASSERELLE_SECRETS_DIR: secretsDir,
    PASSERELLE_CONSENT_TOPIC: uniqueName('consent-events'),
    CONSENT_AUDIT_URL: `127.0.0.1:${await freePort()}`,
    CONSENT_AUDIT_METRICS_PORT: String(await freePort()),
    ...opts.env,
  };
  const app = await startApp('consent-audit', env, { logLine: /consent-audit listening/, timeoutMs: 30_000 });
  return { url: env.CONSENT_AUDIT_URL, metricsUrl: `http://127.0.0.1:${env.CONSENT_AUDIT_METRICS_PORT}`, app, secretsDir, stop: () => app.stop() };
}
