import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LedgerEntryJson } from '@passerelle/contracts';
import { startTestConsentAudit, type TestConsentAudit } from './consent-audit';
import { queryAsOwner } from './database';
import { startTestGateway, type TestGateway } from './gateway';

/** The real trust path for end-to-end tests: consent-audit (Decide, consents, ledger) and a gateway beside it. */
export interface TrustStack {
  gateway: TestGateway;
  consentAudit: TestConsentAudit;
  secretsDir: string;
  /** every ledger entry, in seq order, read back from the database as written (not as the apps report it) */
  ledgerEntries(): Promise<LedgerEntryJson[]>;
  stop(): Promise<void>;
}

/**
 * Starts the built consent-audit and gateway on one database and registry, sharing one secrets
 * directory. No fakes: Decide, consent and ledger are the real ones, so a hole in any of them shows.
 */
export async function startTrustStack(opts: { registryFile: string; databaseUrl: string; gatewayEnv?: Record<string, string>; consentAuditEnv?: Record<string, string> }): Promise<TrustStack> {
  const secretsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-secrets-'));
  const consentAudit = await startTestConsentAudit({ registryFile: opts.registryFile, databaseUrl: opts.databaseUrl, secretsDir, env: opts.consentAuditEnv });
  let gateway: TestGateway;
  try {
    gateway = await startTestGateway({ registryFile: opts.registryFile, databaseUrl: opts.databaseUrl, consentAuditUrl: consentAudit.url, secretsDir, env: opts.gatewayEnv });
  } catch (e) {
    await consentAudit.stop();
    throw e;
  }
  return {
    gateway,
    consentAudit,
    secretsDir,
    ledgerEntries: async () => (await queryAsOwner<{ canonical: string }>(opts.databaseUrl, 'SELECT canonical FROM ledger_entries ORDER BY seq')).map((r) => JSON.parse(r.canonical) as LedgerEntryJson),
    stop: async () => {
      await gateway.stop();
      await consentAudit.stop();
      await fs.rm(secretsDir, { recursive: true, force: true });
    },
  };
}
