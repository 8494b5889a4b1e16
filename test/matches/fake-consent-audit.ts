import * as grpc from '@grpc/grpc-js';
// Types only: @passerelle/contracts loads @nestjs/microservices (ESM), which jest cannot require.
import type { consentAudit } from '@passerelle/contracts';
import { consentInForce } from '@passerelle/policy';
import { loadConsentAuditServices, testServerCredentials } from '@passerelle/testing';

/**
 * consent-audit as the job-match consumer sees it (Ledger.Append/AppendBatch, Consents.List/InForce), over real gRPC
 * on the committed proto, with consents the test sets and an outage switch. libs/testing's
 * fake ledger has no Consents service, hence this one.
 */
export interface FakeConsentAudit {
  url: string;
  entries: consentAudit.AuditEntryInput[];
  /** JOB_MATCHING consents by subject (internal id) */
  consents: Map<string, consentAudit.ConsentRecord[]>;
  grantJobMatching(subject: string, recipient: string): void;
  revokeAll(subject: string, at?: Date): void;
  /** while true every call answers UNAVAILABLE */
  down: boolean;
  listCalls: number;
  /** Consents.InForce and Ledger.AppendBatch calls answered (one each per chunk) */
  inForceCalls: number;
  appendBatchCalls: number;
  stop(): Promise<void>;
}

export async function startFakeConsentAudit(): Promise<FakeConsentAudit> {
  const v1 = loadConsentAuditServices();
  let ids = 0;
  const fake: FakeConsentAudit = {
    url: '',
    entries: [],
    consents: new Map(),
    down: false,
    listCalls: 0,
    inForceCalls: 0,
    appendBatchCalls: 0,
    grantJobMatching(subject, recipient) {
      const now = new Date();
      const record: consentAudit.ConsentRecord = {
        id: `c${++ids}`,
        subject,
        purpose: 'JOB_MATCHING',
        recipient,
        collectedBy: 'qc.mifi',
        validFrom: new Date(now.getTime() - 3600_000).toISOString(),
        expiresAt: new Date(now.getTime() + 365 * 86400_000).toISOString(),
        evidenceSha256: 'x',
        grantedAt: now.toISOString(),
        revokedAt: '',
        revokedBy: '',
        receipt: '',
      };
      fake.consents.set(subject, [...(fake.consents.get(subject) ?? []), record]);
    },
    revokeAll(subject, at = new Date()) {
      for (const c of fake.consents.get(subject) ?? []) if (!c.revokedAt) Object.assign(c, { revokedAt: at.toISOString(), revokedBy: 'qc.mifi' });
    },
    stop: async () => undefined,
  };
  const unavailable = { code: grpc.status.UNAVAILABLE, details: 'fake consent-audit is down' };
  const server = new grpc.Server();
  server.addService(v1.Ledger.service, {
    Append: (call: grpc.ServerUnaryCall<consentAudit.AppendRequest, unknown>, cb: grpc.sendUnaryData<consentAudit.AppendResponse>) => {
      if (fake.down) return cb(unavailable);
      const seq = fake.entries.push(call.request.entry!) - 1;
      cb(null, { seq, time: new Date().toISOString(), leafHash: '' });
    },
    AppendBatch: (call: grpc.ServerUnaryCall<consentAudit.AppendBatchRequest, unknown>, cb: grpc.sendUnaryData<consentAudit.AppendBatchResponse>) => {
      if (fake.down) return cb(unavailable);
      fake.appendBatchCalls++;
      const time = new Date().toISOString();
      cb(null, { results: (call.request.entries ?? []).map((entry) => ({ seq: fake.entries.push(entry) - 1, time, leafHash: '' })) });
    },
  });
  server.addService(v1.Consents.service, {
    List: (call: grpc.ServerUnaryCall<consentAudit.ListConsentsRequest, unknown>, cb: grpc.sendUnaryData<consentAudit.ListConsentsResponse>) => {
      if (fake.down) return cb(unavailable);
      fake.listCalls++;
      cb(null, { consents: fake.consents.get(call.request.subject) ?? [] });
    },
    InForce: (call: grpc.ServerUnaryCall<consentAudit.InForceRequest, unknown>, cb: grpc.sendUnaryData<consentAudit.InForceResponse>) => {
      if (fake.down) return cb(unavailable);
      fake.inForceCalls++;
      const at = call.request.at ? new Date(call.request.at) : new Date();
      const inForce = (c: consentAudit.ConsentRecord) =>
        consentInForce({ validFrom: new Date(c.validFrom), expiresAt: new Date(c.expiresAt), revokedAt: c.revokedAt ? new Date(c.revokedAt) : null }, at);
      cb(null, {
        subjects: (call.request.subjects ?? []).map((subject) => ({
          subject,
          recipients: [...new Set((fake.consents.get(subject) ?? []).filter((c) => c.purpose === call.request.purpose && inForce(c)).map((c) => c.recipient))],
        })),
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', testServerCredentials(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  fake.url = `127.0.0.1:${port}`;
  fake.stop = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return fake;
}
