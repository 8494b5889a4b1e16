import { createHash, randomBytes } from 'node:crypto';
import { loadPseudonymKeyring, type PseudonymKeyring } from '@passerelle/crypto';
import type { Agreement } from '@passerelle/registry';
import type { GatewayClient, GatewayResponse } from '@passerelle/client';
import {
  createTestDatabase,
  createTestRegistry,
  startTrustStack,
  type RunningApp,
  type TestDatabase,
  type TestGateway,
  type TestRegistry,
} from '@passerelle/testing';
import { connectConsentAudit, type ConsentAuditConnection } from '../consents/consent-audit-grpc';
import { connectLedger, type LedgerConnection } from '../ledger/ledger-grpc';

/**
 * One world per test file: its own database, registry (three providers, three consumers, keys
 * generated here), the real consent-audit and gateway processes (startTrustStack) sharing one secrets dir.
 *
 * Providers: ca.ircc (claim status, permits), qc.mifi (French, province), qc.msss (health hours).
 * Consumers: ca.esdc (job bank), on.mltsd (relocation), ca.irb (program eligibility, expired only).
 */
export const AGREEMENTS: Agreement[] = [
  agreement('dsa-ircc-esdc-jobs', 'ca.ircc', 'ca.esdc', ['JOB_MATCHING'], ['claimStatus', 'workPermitExpiry', 'province']),
  agreement('dsa-mifi-esdc-jobs', 'qc.mifi', 'ca.esdc', ['JOB_MATCHING'], ['province', 'frenchLevel', 'nocCode']),
  agreement('dsa-msss-esdc-elig', 'qc.msss', 'ca.esdc', ['PROGRAM_ELIGIBILITY'], ['healthCareHours', 'sector', 'nocCode']),
  agreement('dsa-ircc-mltsd-reloc', 'ca.ircc', 'on.mltsd', ['RELOCATION'], ['province', 'claimStatus']),
  agreement('dsa-msss-mltsd-reloc-old', 'qc.msss', 'on.mltsd', ['RELOCATION'], ['healthCareHours'], '2020-01-01', '2020-12-31'),
  agreement('dsa-mifi-irb-elig-old', 'qc.mifi', 'ca.irb', ['PROGRAM_ELIGIBILITY'], ['frenchLevel', 'province'], '2021-01-01', '2022-12-31'),
];

function agreement(id: string, provider: string, consumer: string, purposes: Agreement['purposes'], fields: Agreement['fields'], validFrom = '2020-01-01', validTo = '2099-12-31'): Agreement {
  return { id, provider, consumer, purposes, fields, validFrom, validTo, legalBasis: 'test agreement' };
}

export interface ClaimantsWorld {
  db: TestDatabase;
  registry: TestRegistry;
  secretsDir: string;
  consentAudit: RunningApp;
  consentAuditUrl: string;
  gateway: TestGateway;
  keyring: PseudonymKeyring;
  consents: ConsentAuditConnection;
  ledger: LedgerConnection;
  client(agency: string): GatewayClient;
  stop(): Promise<void>;
}

export async function createClaimantsWorld(): Promise<ClaimantsWorld> {
  const db = await createTestDatabase('claimants');
  const registry = await createTestRegistry({
    agencies: [
      { id: 'ca.ircc', roles: ['PROVIDER'] },
      { id: 'qc.mifi', roles: ['PROVIDER'], jurisdiction: 'QC' },
      { id: 'qc.msss', roles: ['PROVIDER'], jurisdiction: 'QC' },
      { id: 'ca.esdc', roles: ['CONSUMER', 'PUBLISHER'] },
      { id: 'on.mltsd', roles: ['CONSUMER'], jurisdiction: 'ON' },
      { id: 'ca.irb', roles: ['CONSUMER'] },
    ],
    agreements: AGREEMENTS,
    consentRequiredFor: ['JOB_MATCHING', 'RELOCATION'],
  });
  let stack: Awaited<ReturnType<typeof startTrustStack>>;
  try {
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
  } catch (e) {
    await db.drop();
    await registry.cleanup();
    throw e;
  }
  const { secretsDir, gateway } = stack;
  const consentAudit = stack.consentAudit.app;
  const consentAuditUrl = stack.consentAudit.url;
  const keyring = await loadPseudonymKeyring(secretsDir);
  const consents = connectConsentAudit(consentAuditUrl);
  const ledger = connectLedger(consentAuditUrl);
  return {
    db,
    registry,
    secretsDir,
    consentAudit,
    consentAuditUrl,
    gateway,
    keyring,
    consents,
    ledger,
    client: (agency) => registry.client(agency, gateway.url),
    stop: async () => {
      consents.close();
      ledger.close();
      await stack.stop();
      await db.drop();
      await registry.cleanup();
    },
  };
}

/** Records the claimant's consent for purpose → recipient, directly at consent-audit. */
export async function grantConsent(world: ClaimantsWorld, subject: string, purpose: string, recipient: string): Promise<{ id: string }> {
  return world.consents.record({
    subject,
    purpose,
    recipient,
    collectedBy: 'qc.mifi',
    validFrom: new Date(Date.now() - 3600_000).toISOString(),
    expiresAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
    evidenceSha256: createHash('sha256').update(randomBytes(16)).digest('base64url'),
  });
}

export interface LedgerEntryJson {
  seq: number;
  agency: string;
  purpose: string;
  operation: string;
  decision: 'PERMIT' | 'DENY';
  reason: string;
  subjects: string[];
  fields: string[];
}

/** The ledger entry that records a signed exchange (by the audit_seq of its response signature). */
export async function ledgerEntryOf(world: ClaimantsWorld, res: GatewayResponse): Promise<LedgerEntryJson> {
  if (res.auditSeq === undefined) throw new Error(`the answer carries no audit_seq (HTTP ${res.status}): ${res.body.slice(0, 300)}`);
  const page = await world.ledger.entries({ start: res.auditSeq, end: res.auditSeq });
  return JSON.parse(page.entries[0].canonicalJson) as LedgerEntryJson;
}

/** A unique client id that must never show up anywhere (database, logs, answers). */
export function markerClientId(): string {
  return `MARK${randomBytes(6).toString('hex').toUpperCase()}`;
}

export interface GraphqlBody<T> {
  data: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }>;
}
