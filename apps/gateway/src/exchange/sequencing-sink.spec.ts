import pino from 'pino';
import type { consentAudit } from '@passerelle/contracts';
import type { RegistryHolder } from '@passerelle/registry';
import type { DataSource } from 'typeorm';
import { SequencingAuditSink } from './sequencing-sink';

const entry = (over: Partial<consentAudit.AuditEntryInput> = {}): consentAudit.AuditEntryInput => ({
  agency: 'qc.mifi',
  kid: 'k1',
  jti: 'abcdefghijklmnop',
  purpose: 'JOB_MATCHING',
  operation: 'graphql:claimant',
  decision: 'PERMIT',
  reason: 'ok',
  subjects: [],
  fields: ['province'],
  requestSha256: '',
  responseSha256: '',
  requestId: 'r1',
  agreements: [],
  legalBasis: [],
  consents: [],
  programVersion: '',
  registryVersion: '',
  rule: '',
  ...over,
});

function sink(fail = false) {
  const calls: unknown[][] = [];
  let next = 40;
  const db = {
    query: async (_sql: string, params: unknown[]) => {
      calls.push(params);
      if (fail) throw new Error('lock timeout');
      const first = next;
      next += (params[0] as unknown[]).length;
      return [{ first: String(first) }];
    },
  } as unknown as DataSource;
  const registry = { current: () => ({ version: 'a'.repeat(64) }) } as unknown as RegistryHolder;
  return { calls, sink: new SequencingAuditSink(db, registry, pino({ level: 'silent' })) };
}

describe('SequencingAuditSink (the gateway sequences its own entries)', () => {
  it('sequences the appends of one event-loop turn in ONE statement, each caller its own consecutive seq', async () => {
    const { calls, sink: s } = sink();
    const seqs = await Promise.all([1, 2, 3].map((i) => s.append(entry({ requestId: `r${i}` }))));
    expect(seqs).toEqual([{ seq: 40 }, { seq: 41 }, { seq: 42 }]);
    expect(calls).toHaveLength(1);
    const prefixes = calls[0][1] as string[];
    const suffixes = calls[0][2] as string[];
    const canonical = `${prefixes[1]}41${suffixes[1]}`;
    // Stamped as consent-audit stamps an Append: the registry version in force.
    expect(JSON.parse(canonical)).toMatchObject({ seq: 41, request_id: 'r2', registry_version: 'a'.repeat(64) });
  });

  it('an entry the ledger would refuse (a raw identifier among the subjects) fails its own exchange only, never echoing it', async () => {
    const { calls, sink: s } = sink();
    const [bad, good] = await Promise.allSettled([s.append(entry({ subjects: ['UCI-12345678'] })), s.append(entry())]);
    expect(bad.status).toBe('rejected');
    expect(String((bad as PromiseRejectedResult).reason)).not.toContain('UCI-12345678');
    expect(good).toEqual({ status: 'fulfilled', value: { seq: 40 } });
    expect((calls[0][0] as unknown[]).length).toBe(1);
  });

  it('a failed statement (rolled back: no seq taken) fails every caller of the batch', async () => {
    const { sink: s } = sink(true);
    const out = await Promise.allSettled([s.append(entry()), s.append(entry())]);
    expect(out.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });
});
