import * as grpc from '@grpc/grpc-js';
// Types only: @passerelle/contracts pulls in @nestjs/microservices (ESM), which jest cannot load.
import type { consentAudit } from '@passerelle/contracts';
import { loadConsentAuditServices } from './grpc';
import { testServerCredentials } from './test-pki';

export type DecideHandler = (request: consentAudit.DecideRequest) => consentAudit.DecideResponse | Promise<consentAudit.DecideResponse>;

export interface FakeLedger {
  /** host:port, for CONSENT_AUDIT_URL */
  url: string;
  /** every entry appended, in order (index = seq) */
  entries: consentAudit.AuditEntryInput[];
  /** every Decide request received */
  decideRequests: consentAudit.DecideRequest[];
  /** while true, Append answers UNAVAILABLE (to test audit_unavailable) */
  failAppends: boolean;
  /** replaces the Decide handler (default: permit every candidate) */
  setDecide(handler: DecideHandler): void;
  /** resolves once `n` entries have been appended (or rejects after timeoutMs) */
  waitForEntries(n: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const permitAll: DecideHandler = (req) => ({
  verdicts: req.candidates.map(() => ({ permit: true, reason: 'ok', agreementId: 'fake', legalBasis: '', consentIds: [] })),
  registryVersion: '',
});

/**
 * A stand-in for consent-audit's Ledger.Append (and Decisions.Decide) over real gRPC, on the
 * committed proto: records appended entries and answers increasing seqs from 0.
 */
export async function startFakeLedger(opts: { decide?: DecideHandler; port?: number } = {}): Promise<FakeLedger> {
  const v1 = loadConsentAuditServices();
  let decide = opts.decide ?? permitAll;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const fake: FakeLedger = {
    url: '',
    entries: [],
    decideRequests: [],
    failAppends: false,
    setDecide: (h) => (decide = h),
    waitForEntries: (n, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (fake.entries.length >= n) return resolve();
        const timer = setTimeout(() => reject(new Error(`fake ledger: ${fake.entries.length} of ${n} entries after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      }),
    stop: async () => undefined,
  };
  const server = new grpc.Server();
  const record = (entry: consentAudit.AuditEntryInput): consentAudit.AppendResponse => {
    const seq = fake.entries.push(entry) - 1;
    for (const w of waiters.filter((x) => fake.entries.length >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    return { seq, time: new Date().toISOString(), leafHash: '' };
  };
  server.addService(v1.Ledger.service, {
    Append: (call: grpc.ServerUnaryCall<consentAudit.AppendRequest, consentAudit.AppendResponse>, cb: grpc.sendUnaryData<consentAudit.AppendResponse>) => {
      if (fake.failAppends) return cb({ code: grpc.status.UNAVAILABLE, details: 'fake ledger set to fail' });
      const entry = call.request.entry;
      if (!entry) return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'entry missing' });
      cb(null, record(entry));
    },
    // The gateway coalesces concurrent exchanges into one AppendBatch (entries in request order).
    AppendBatch: (call: grpc.ServerUnaryCall<{ entries: consentAudit.AuditEntryInput[] }, { results: consentAudit.AppendResponse[] }>, cb: grpc.sendUnaryData<{ results: consentAudit.AppendResponse[] }>) => {
      if (fake.failAppends) return cb({ code: grpc.status.UNAVAILABLE, details: 'fake ledger set to fail' });
      const entries = call.request.entries ?? [];
      if (entries.length === 0) return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'no entries' });
      cb(null, { results: entries.map(record) });
    },
  });
  // No consents are held here: a revocation names an unknown consent, a listing is empty
  // (as consent-audit answers on an empty database), so hostile ids get the contract's NOT_FOUND.
  server.addService(v1.Consents.service, {
    Revoke: (_call: unknown, cb: grpc.sendUnaryData<never>) => cb({ code: grpc.status.NOT_FOUND, details: 'no such consent' }),
    List: (_call: unknown, cb: grpc.sendUnaryData<{ consents: [] }>) => cb(null, { consents: [] }),
  });
  server.addService(v1.Decisions.service, {
    Decide: (call: grpc.ServerUnaryCall<consentAudit.DecideRequest, consentAudit.DecideResponse>, cb: grpc.sendUnaryData<consentAudit.DecideResponse>) => {
      fake.decideRequests.push(call.request);
      Promise.resolve()
        .then(() => decide(call.request))
        .then((res) => cb(null, res), (e: Error) => cb({ code: grpc.status.INTERNAL, details: e.message }));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${opts.port ?? 0}`, testServerCredentials(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  fake.url = `127.0.0.1:${port}`;
  fake.stop = () =>
    new Promise<void>((resolve) => {
      const force = setTimeout(() => (server.forceShutdown(), resolve()), 2000);
      server.tryShutdown(() => (clearTimeout(force), resolve()));
    });
  return fake;
}
