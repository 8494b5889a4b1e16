import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  consentAuditClient,
  createTestDatabase,
  createTestRegistry,
  eventually,
  failureOf,
  issueTestPki,
  runApp,
  startApp,
  startTrustStack,
  STRANGER,
  testChannelCredentials,
  testPki,
  testTlsEnv,
  unary,
  type TestDatabase,
  type TestRegistry,
  type TrustStack,
} from '@passerelle/testing';
import { auditEntry } from '../ledger/ledger-grpc';

/** Resolves once a line matching `test` was logged; fails after 60 s without one (a hang, not slowness). */
function logLine(lines: string[], test: (line: string) => boolean): Promise<void> {
  return eventually(() => lines.some(test), 60_000, () => `no such log line; last lines:\n${lines.slice(-5).join('\n')}`);
}

/**
 * Hole 3 of issue 14: consent-audit's gRPC was open to anyone who reached the port. Now only
 * callers with a certificate of the apps' private CA get through the TLS handshake, and each
 * identity only to the RPCs the declared table gives it.
 */
describe('consent-audit answers only the apps, each only for the RPCs it needs (mutual TLS)', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  const clients: grpc.Client[] = [];

  /** A Ledger/Consents/Decisions client of the running consent-audit under the given credentials. */
  const client = (service: 'Ledger' | 'Consents' | 'Decisions', as: Parameters<typeof consentAuditClient>[3]) => {
    // A distinct user agent per client keeps grpc-js from sharing one connection between identities.
    const c = consentAuditClient(service, stack.consentAudit.url, { 'grpc.primary_user_agent': `mtls-${clients.length}` }, as);
    clients.push(c);
    return c;
  };
  const ledgerSize = async () => (await stack.ledgerEntries()).length;

  beforeAll(async () => {
    db = await createTestDatabase('mtls');
    registry = await createTestRegistry();
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await stack?.stop();
    await registry?.cleanup();
    await db?.drop();
  });

  it('consent-audit is reachable by the gateway only over mutual TLS: a client without a certificate, or in plaintext, is refused', async () => {
    const before = await ledgerSize();
    const plaintext = client('Ledger', { credentials: grpc.credentials.createInsecure(), options: {} });
    expect((await failureOf(unary(plaintext, 'Append')(auditEntry()))).code).toBe(grpc.status.UNAVAILABLE);
    const noCertificate = client('Ledger', 'no-certificate');
    expect((await failureOf(unary(noCertificate, 'Append')(auditEntry()))).code).toBe(grpc.status.UNAVAILABLE);
    expect(await ledgerSize()).toBe(before);
    // The gateway's certificate gets the same call through.
    const res = await unary<unknown, { seq: number }>(client('Ledger', 'gateway'), 'Append')(auditEntry());
    expect(res.seq).toBe(before);
    expect(await ledgerSize()).toBe(before + 1);
  });

  it('consent-audit refuses a certificate from another CA, even one naming the gateway', async () => {
    const foreign = issueTestPki();
    const before = await ledgerSize();
    // Trusting our CA for the server, but showing the other CA's "gateway" certificate.
    const ours = testChannelCredentials('gateway');
    const other = testChannelCredentials('gateway', foreign);
    const [ca, key, cert] = await Promise.all([fs.readFile(testPki().files('ca').ca), fs.readFile(foreign.files('gateway').key), fs.readFile(foreign.files('gateway').cert)]);
    const forged = client('Ledger', { credentials: grpc.credentials.createSsl(ca, key, cert), options: ours.options });
    expect((await failureOf(unary(forged, 'Append')(auditEntry()))).code).toBe(grpc.status.UNAVAILABLE);
    // A client of the other CA cannot even accept our server.
    expect((await failureOf(unary(client('Ledger', other), 'GetSignedTreeHead')({}))).code).toBe(grpc.status.UNAVAILABLE);
    expect(await ledgerSize()).toBe(before);
    expect((await unary<unknown, { treeSize: number }>(client('Ledger', 'gateway'), 'GetSignedTreeHead')({})).treeSize).toBe(before);
  });

  it('the job-match consumer\'s certificate cannot record or revoke consents, decide, or read the ledger: PERMISSION_DENIED', async () => {
    const before = await ledgerSize();
    const consents = client('Consents', 'job-match-consumer');
    const decisions = client('Decisions', 'job-match-consumer');
    const ledger = client('Ledger', 'job-match-consumer');
    const refusals = await Promise.all([
      failureOf(unary(consents, 'Record')({ subject: 'x', purpose: 'JOB_MATCHING', recipient: 'ca.esdc', collectedBy: 'ca.esdc' })),
      failureOf(unary(consents, 'Revoke')({ consentId: '00000000-0000-0000-0000-000000000000', revokedBy: 'qc.mifi' })),
      failureOf(unary(decisions, 'Decide')({ consumer: 'ca.esdc', purpose: 'JOB_MATCHING', candidates: [] })),
      failureOf(unary(ledger, 'GetEntries')({ start: 0, end: 0 })),
      failureOf(unary(ledger, 'Disclosures')({ subject: 'x', first: 1 })),
    ]);
    for (const r of refusals) {
      expect(r.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(r.details).toMatch(/^identity job-match-consumer may not call (Consents\/Record|Consents\/Revoke|Decisions\/Decide|Ledger\/GetEntries|Ledger\/Disclosures)$/);
    }
    // What it needs still works: it audits its events.
    const res = await unary<unknown, { seq: number }>(ledger, 'Append')(auditEntry({ agency: 'ca.esdc', operation: 'kafka:jobbank.matches.v1' }));
    expect(res.seq).toBe(before);
  });

  it('the gateway\'s certificate is refused outside its table, and a certificate of the CA that no table row names gets nothing', async () => {
    const inForce = await failureOf(unary(client('Consents', 'gateway'), 'InForce')({ subjects: ['x'], purpose: 'JOB_MATCHING' }));
    expect(inForce.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(inForce.details).toBe('identity gateway may not call Consents/InForce');
    const stranger = await failureOf(unary(client('Ledger', STRANGER), 'GetSignedTreeHead')({}));
    expect(stranger.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(stranger.details).toBe(`identity ${STRANGER} may call no consent-audit RPC`);
    // The refusal is logged with the identity (the log is written asynchronously: wait for the line).
    await logLine(stack.consentAudit.app.lines, (l) => l.includes('gRPC call refused') && l.includes('"identity":"stranger"'));
  });

  it('`passerelle certs rotate` re-keys the gateway under the same CA: the running consent-audit accepts the new certificate', async () => {
    const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-rotate-'));
    try {
      await fs.cp(testPki().dir, copy, { recursive: true });
      const oldKey = await fs.readFile(path.join(copy, 'gateway.key'), 'utf8');
      const rotated = await runApp('cli', ['certs', 'rotate', '--dir', copy, '--identity', 'gateway']);
      expect(rotated.code).toBe(0);
      expect(rotated.stdout).toMatch(/^gateway: renewed \(rotation requested\), valid until /m);
      expect(rotated.stdout).toMatch(/^job-match-consumer: kept, /m);
      expect(await fs.readFile(path.join(copy, 'gateway.key'), 'utf8')).not.toBe(oldKey);
      expect((await fs.stat(path.join(copy, 'gateway.key'))).mode & 0o777).toBe(0o600);
      const rotatedPki = { dir: copy, files: (id: string) => ({ ca: path.join(copy, 'ca.crt'), cert: path.join(copy, `${id}.crt`), key: path.join(copy, `${id}.key`) }) };
      const res = await unary<unknown, { treeSize: number }>(client('Ledger', testChannelCredentials('gateway', rotatedPki)), 'GetSignedTreeHead')({});
      expect(res.treeSize).toBe(await ledgerSize());
      const refused = await runApp('cli', ['certs', 'rotate', '--dir', copy]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe('passerelle: certs rotate needs --identity <id>, --all or --ca');
    } finally {
      await fs.rm(copy, { recursive: true, force: true });
    }
  });

  it('happy path: a signed exchange through the gateway is recorded in the ledger and its tree head served, over mutual TLS', async () => {
    const before = await ledgerSize();
    const res = await registry.client('qc.mifi', stack.gateway.url).graphql<{ data: { gatewayInfo: { contractVersion: string } } }>('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS');
    expect(res.status).toBe(200);
    expect(res.auditSeq).toBe(before);
    expect((await stack.ledgerEntries())[before]).toMatchObject({ agency: 'qc.mifi', operation: 'graphql:gatewayInfo', decision: 'PERMIT' });
  });
});

describe('an app without its certificate refuses to start (exit 78, one line), unless plaintext is explicitly allowed for development', () => {
  const base = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/d', KAFKA_BROKERS: '127.0.0.1:9', PASSERELLE_REGISTRY: '/nonexistent/registry.json', PASSERELLE_SECRETS_DIR: '/tmp/passerelle-unused-secrets' };
  const identities = { 'consent-audit': 'consent-audit', gateway: 'gateway', 'job-match-consumer': 'job-match-consumer' } as const;

  it.each(Object.keys(identities) as Array<keyof typeof identities>)('%s refuses to start without certificates', async (app) => {
    // PASSERELLE_DEV_PLAINTEXT_GRPC=0 named explicitly: runApp then gives the app no test certificates
    const { code, stdout, stderr } = await runApp(app, [], { ...base, PASSERELLE_DEV_PLAINTEXT_GRPC: '0' });
    expect(code).toBe(78);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      `${app}: configuration error: PASSERELLE_TLS_CA is missing: gRPC between the apps requires mutual TLS; issue certificates with \`passerelle certs issue --dir <dir>\` and set PASSERELLE_TLS_CA, PASSERELLE_TLS_CERT and PASSERELLE_TLS_KEY (or PASSERELLE_DEV_PLAINTEXT_GRPC=1, for local development only)`,
    ]);
  });

  it('refuses another app\'s certificate, a certificate of another CA, and a key file readable by others, naming the file', async () => {
    const consumer = await runApp('gateway', [], { ...base, ...testTlsEnv('job-match-consumer') });
    expect(consumer.code).toBe(78);
    expect(consumer.stderr.trim()).toBe(`gateway: configuration error: gRPC TLS: the certificate ${testPki().files('job-match-consumer').cert} is issued to "job-match-consumer", not to gateway`);
    const foreign = issueTestPki();
    const other = await runApp('gateway', [], { ...base, ...testTlsEnv('gateway'), PASSERELLE_TLS_CERT: foreign.files('gateway').cert, PASSERELLE_TLS_KEY: foreign.files('gateway').key });
    expect(other.code).toBe(78);
    expect(other.stderr.trim()).toBe(`gateway: configuration error: gRPC TLS: the certificate ${foreign.files('gateway').cert} was not issued by the CA in ${testPki().files('ca').ca}`);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-open-key-'));
    try {
      const openKey = path.join(dir, 'gateway.key');
      await fs.copyFile(testPki().files('gateway').key, openKey);
      await fs.chmod(openKey, 0o644);
      const open = await runApp('gateway', [], { ...base, ...testTlsEnv('gateway'), PASSERELLE_TLS_KEY: openKey });
      expect(open.code).toBe(78);
      expect(open.stderr.trim()).toBe(`gateway: configuration error: gRPC TLS: private key file ${openKey} has mode 0644: it is accessible by group or others; private keys must be 0600 (run chmod 600)`);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('plaintext only when PASSERELLE_DEV_PLAINTEXT_GRPC=1 says so, announced as an error at start, and never mixed with TLS files', async () => {
    const mixed = await runApp('consent-audit', [], { ...base, ...testTlsEnv('consent-audit'), PASSERELLE_DEV_PLAINTEXT_GRPC: '1' });
    expect(mixed.code).toBe(78);
    expect(mixed.stderr.trim()).toBe('consent-audit: configuration error: PASSERELLE_DEV_PLAINTEXT_GRPC is 1 but PASSERELLE_TLS_CA, PASSERELLE_TLS_CERT, PASSERELLE_TLS_KEY are set too; choose mutual TLS or plaintext');
    const db = await createTestDatabase('mtls_plain');
    const registry = await createTestRegistry();
    const secrets = await fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-secrets-'));
    const { freePort } = await import('@passerelle/testing');
    const url = `127.0.0.1:${await freePort()}`;
    const app = await startApp(
      'consent-audit',
      { ...base, DATABASE_URL: db.url, KAFKA_BROKERS: process.env.KAFKA_BROKERS!, PASSERELLE_REGISTRY: registry.file, PASSERELLE_SECRETS_DIR: secrets, CONSENT_AUDIT_URL: url, CONSENT_AUDIT_METRICS_PORT: String(await freePort()), PASSERELLE_DEV_PLAINTEXT_GRPC: '1' },
      { logLine: /consent-audit listening/ },
    );
    try {
      const warning = app.lines.find((l) => l.includes('PLAINTEXT gRPC'));
      expect(warning).toBeDefined();
      expect(JSON.parse(warning!)).toMatchObject({ level: 'error' });
      const plain = consentAuditClient('Ledger', url, {}, { credentials: grpc.credentials.createInsecure(), options: {} });
      // It answers (the size is the writer's registry:load entry, contract §5.2).
      expect((await unary<unknown, { treeSize: number }>(plain, 'GetSignedTreeHead')({})).treeSize).toBe(1);
      plain.close();
    } finally {
      await app.stop();
      await registry.cleanup();
      await db.drop();
      await fs.rm(secrets, { recursive: true, force: true });
    }
  });
});
