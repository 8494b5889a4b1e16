import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import { buildJobMatchMessage, createKafka, sampleJobMatchEvent, signerFromPrivateJwk, type JobMatchEvent, type JobMatchSigner } from '@passerelle/messaging';
// Types only: @passerelle/contracts loads @nestjs/microservices (ESM), which jest cannot require.
import type { consentAudit as ca, LedgerEntryJson } from '@passerelle/contracts';
import {
  consentAuditClient,
  createTestDatabase,
  createTestRegistry,
  freePort,
  kafkaBrokers,
  queryAsOwner,
  runApp,
  startApp,
  startTestConsentAudit,
  unary,
  uniqueName,
  type RunningApp,
  type TestConsentAudit,
  type TestDatabase,
  type TestRegistry,
} from '@passerelle/testing';
import type { Admin, IHeaders, Kafka } from 'kafkajs';

export const PUBLISHER = 'ca.esdc';
/** The agency that collects the claimants' consents in these worlds (a declared collector). */
export const COLLECTOR = 'qc.mifi';

/**
 * The real consent-audit process of a world (Consents, Decisions, Ledger on the world's database),
 * with what the tests need: consents recorded and revoked through its gRPC, the ledger as written
 * in the database, and a real outage (the process stopped, then started again on the same address).
 */
export interface MatchConsentAudit {
  url: string;
  grantJobMatching(subject: string, recipient: string): Promise<void>;
  /** revokes every consent of the subject (by its collector) */
  revokeAll(subject: string): Promise<void>;
  /** the ledger entries the world's consumer appended (operation kafka:<topic>), in seq order */
  entries(): Promise<LedgerEntryJson[]>;
  /** an outage: the process stops */
  stop(): Promise<void>;
  /** back, on the same address */
  start(): Promise<void>;
}

/** The JOB_MATCHING agreement to the publisher in every match world. */
export const MATCH_AGREEMENT = {
  id: 'dsa-mifi-esdc-jobs',
  provider: 'qc.mifi',
  consumer: PUBLISHER,
  purposes: ['JOB_MATCHING' as const],
  fields: ['province' as const, 'nocCode' as const],
  validFrom: '2020-01-01',
  validTo: '2099-12-31',
  legalBasis: 'Canada–Québec Accord (1991), test annex',
};

/** One isolated world per test: database, registry, secrets, the real consent-audit, topics, group. */
export interface MatchWorld {
  db: TestDatabase;
  registry: TestRegistry;
  secretsDir: string;
  keyring: PseudonymKeyring;
  consentAudit: MatchConsentAudit;
  kafka: Kafka;
  admin: Admin;
  brokers: string;
  topic: string;
  dlq: string;
  group: string;
  keyFile: string;
  signer: JobMatchSigner;
  /** internal ids of claimants with JOB_MATCHING consent to the publisher */
  subjects: string[];
  /** the publisher's pseudonyms for them, same order */
  pseudonyms: string[];
  apps: RunningApp[];
  startConsumer(extraEnv?: Record<string, string>): Promise<RunningApp & { probeUrl: string }>;
  /** `passerelle publish-matches` on a file of these events */
  publishFile(events: JobMatchEvent[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  count(sql: string): Promise<number>;
  cleanup(): Promise<void>;
}

/** `auditor`: the registry also holds the operator ops.audit, who runs `passerelle audit verify`. */
export async function createMatchWorld(opts: { partitions: number; subjects: number; purgeGraceSeconds?: number; auditor?: boolean }): Promise<MatchWorld> {
  const brokers = kafkaBrokers();
  const db = await createTestDatabase('jm');
  const registry = await createTestRegistry({
    agencies: [
      { id: PUBLISHER, roles: ['CONSUMER', 'PUBLISHER'], extraKeys: [{ status: 'revoked' }] },
      { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
      ...(opts.auditor ? [{ id: 'ops.audit', roles: ['OPERATOR' as const], jurisdiction: 'CA' }] : []),
    ],
    // What the publisher matches claimants under: the legal basis its stored matches name (§5.2).
    agreements: [MATCH_AGREEMENT],
  });
  const secretsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-jm-secrets-'));
  const keyring = await loadPseudonymKeyring(secretsDir);
  const kafka = createKafka(brokers.split(','), uniqueName('jm-test'));
  const admin = kafka.admin();
  await admin.connect();
  const topic = uniqueName('jobbank.matches.t');
  const dlq = `${topic}.dlq`;
  await admin.createTopics({ topics: [{ topic, numPartitions: opts.partitions }, { topic: dlq, numPartitions: 1 }], waitForLeaders: true });
  const consentAudit = await startMatchConsentAudit({ registryFile: registry.file, databaseUrl: db.url, secretsDir, topic });
  const keyFile = path.join(secretsDir, 'esdc-private.jwk.json');
  const key = registry.activeKey(PUBLISHER);
  await fs.writeFile(keyFile, JSON.stringify(key.privateJwk), { mode: 0o600 });
  const subjects = Array.from({ length: opts.subjects }, (_, i) => toInternalId(keyring, `TEST-CLIENT-${i}`));
  for (let i = 0; i < subjects.length; i += 25) await Promise.all(subjects.slice(i, i + 25).map((s) => consentAudit.grantJobMatching(s, PUBLISHER)));
  const world: MatchWorld = {
    db,
    registry,
    secretsDir,
    keyring,
    consentAudit,
    kafka,
    admin,
    brokers,
    topic,
    dlq,
    group: uniqueName('jm-group'),
    keyFile,
    signer: await signerFromPrivateJwk(PUBLISHER, key.privateJwk),
    subjects,
    pseudonyms: subjects.map((s) => toAgencyPseudonym(keyring, PUBLISHER, s)),
    apps: [],
    startConsumer: async (extraEnv = {}) => {
      const probePort = await freePort();
      const app = await startApp(
        'job-match-consumer',
        {
          DATABASE_URL: db.url,
          KAFKA_BROKERS: brokers,
          PASSERELLE_REGISTRY: registry.file,
          PASSERELLE_SECRETS_DIR: secretsDir,
          CONSENT_AUDIT_URL: consentAudit.url,
          CONSUMER_METRICS_PORT: String(probePort),
          JOB_MATCH_TOPIC: topic,
          JOB_MATCH_GROUP: world.group,
          MATCH_PURGE_GRACE_SECONDS: String(opts.purgeGraceSeconds ?? 86400),
          JOB_MATCH_SESSION_TIMEOUT_MS: '6000',
          MATCH_PURGE_INTERVAL_SECONDS: opts.purgeGraceSeconds !== undefined ? '1' : '600',
          ...extraEnv,
        },
        { logLine: /joined the job-match consumer group/, timeoutMs: 60_000 },
      );
      world.apps.push(app);
      return Object.assign(app, { probeUrl: `http://127.0.0.1:${probePort}` });
    },
    publishFile: async (events) => {
      const file = path.join(secretsDir, `${uniqueName('matches')}.ndjson`);
      await fs.writeFile(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      return runApp('cli', ['publish-matches', '--file', file, '--agency', PUBLISHER, '--key', keyFile, '--brokers', brokers, '--topic', topic]);
    },
    count: async (sql) => Number((await queryAsOwner<{ n: string }>(db.url, sql))[0].n),
    cleanup: async () => {
      await Promise.all(world.apps.map((a) => a.stop()));
      await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
      await admin.disconnect();
      await consentAudit.stop();
      await db.drop();
      await registry.cleanup();
      await fs.rm(secretsDir, { recursive: true, force: true });
    },
  };
  return world;
}

/** `n` valid events spread over the world's consenting claimants. */
export function validEvents(world: MatchWorld, n: number, prefix = 'evt'): JobMatchEvent[] {
  const provinces = ['ON', 'QC', 'BC', 'AB', 'NS'];
  return Array.from({ length: n }, (_, i) =>
    sampleJobMatchEvent({
      eventId: `${prefix}-${i}`,
      batchId: 'batch-e2e',
      pseudonym: world.pseudonyms[i % world.pseudonyms.length],
      score: (i % 100) / 100,
      // Some postings state minimum levels (issue 16): every 3rd French NCLC 7, every 5th English CLB 6.
      posting: {
        id: `JB-${i}`, province: provinces[i % provinces.length], hourlyWageCents: 1800 + (i % 50) * 25,
        ...(i % 3 === 0 ? { minFrenchNclc: 7 } : {}), ...(i % 5 === 0 ? { minEnglishClb: 6 } : {}),
      },
    }),
  );
}

export interface RawMessage {
  key: Buffer | null;
  value: Buffer;
  headers: IHeaders;
}

/** Polls until `check` returns true (or fails with the last observed state): the one helper of libs/testing. */
export { eventually } from '@passerelle/testing';

/** The consumer group has committed the end of every partition of `topic`: nothing left to (re)deliver.
 * The job-match consumer commits a chunk's offsets only once it stored, dead-lettered and audited
 * every event of it, so this is the observable "it has processed everything published so far". */
export async function groupCaughtUp(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const at = new Map(committed.partitions.map((p) => [p.partition, p.offset]));
  return ends.every((e) => at.get(e.partition) === e.offset);
}

/** Reads every message of a topic from the beginning, until `expected` are in (or timeout). */
export async function readTopic(kafka: Kafka, topic: string, expected: number, timeoutMs = 20_000): Promise<RawMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('jm-reader') });
  const out: RawMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      out.push({ key: message.key, value: message.value ?? Buffer.alloc(0), headers: message.headers ?? {} });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (out.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await consumer.disconnect();
  return out;
}

export { buildJobMatchMessage };

/** Starts the built consent-audit for a match world (see MatchConsentAudit). */
async function startMatchConsentAudit(opts: { registryFile: string; databaseUrl: string; secretsDir: string; topic: string }): Promise<MatchConsentAudit> {
  const env = { CONSENT_AUDIT_URL: `127.0.0.1:${await freePort()}`, PASSERELLE_CONSENT_TOPIC: uniqueName('consent-events') };
  let running: TestConsentAudit | undefined = await startTestConsentAudit({ ...opts, env });
  let grantClient: ReturnType<typeof consents> | undefined;
  const consents = () => {
    const client = consentAuditClient('Consents', env.CONSENT_AUDIT_URL);
    return {
      record: unary<Partial<ca.RecordConsentRequest>, ca.ConsentRecord>(client, 'Record'),
      revoke: unary<Partial<ca.RevokeConsentRequest>, ca.ConsentRecord>(client, 'Revoke'),
      list: unary<Partial<ca.ListConsentsRequest>, ca.ListConsentsResponse>(client, 'List'),
      close: () => client.close(),
    };
  };
  return {
    url: env.CONSENT_AUDIT_URL,
    grantJobMatching: async (subject, recipient) => {
      // one client for every grant: a client per call resolved its address per call, which on a
      // loaded machine took seconds of the call's deadline
      await (grantClient ??= consents()).record({
        subject,
        purpose: 'JOB_MATCHING',
        recipient,
        collectedBy: COLLECTOR,
        validFrom: new Date(Date.now() - 3600_000).toISOString(),
        expiresAt: new Date(Date.now() + 365 * 86400_000).toISOString(),
        evidenceSha256: createHash('sha256').update(randomBytes(16)).digest('base64url'),
      });
    },
    revokeAll: async (subject) => {
      const c = consents();
      try {
        for (const consent of (await c.list({ subject })).consents ?? []) {
          if (!consent.revokedAt) await c.revoke({ consentId: consent.id, revokedBy: consent.collectedBy });
        }
      } finally {
        c.close();
      }
    },
    entries: async () =>
      (await queryAsOwner<{ canonical: string }>(opts.databaseUrl, 'SELECT canonical FROM ledger_entries ORDER BY seq'))
        .map((r) => JSON.parse(r.canonical) as LedgerEntryJson)
        .filter((e) => e.operation === `kafka:${opts.topic}`),
    stop: async () => {
      grantClient?.close();
      grantClient = undefined;
      await running?.stop();
      running = undefined;
    },
    start: async () => {
      running ??= await startTestConsentAudit({ ...opts, env });
    },
  };
}
