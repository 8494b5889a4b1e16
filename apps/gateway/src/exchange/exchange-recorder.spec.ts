import { InMemoryAuditSink } from './audit-sink';
import { closeRootField, noteDenial, noteDisclosure, noteRelied, openRootField, type Exchange } from './exchange-context';
import { ExchangeRecorder } from './exchange-recorder';

const exchange = (operation: string): Exchange => ({
  requestId: 'r1',
  requestSha256: 'x'.repeat(43),
  caller: { agency: 'qc.mifi', kid: 'k1', jti: 'j'.repeat(16), purpose: 'CONSENT_MANAGEMENT', exp: 0 },
  record: { operation, decision: 'PERMIT', reason: 'ok', subjects: new Set(), fields: new Set() },
  outcomes: [],
});
const request = (e: Exchange) => ({ exchange: e }) as unknown as import('fastify').FastifyRequest;
const S1 = `i_${'A'.repeat(22)}`;

describe('exchange recorder: write-ahead audit of mutation documents', () => {
  it('writes the intent, then one outcome per root field with its own notes, and answers with the last seq', async () => {
    const sink = new InMemoryAuditSink();
    const recorder = new ExchangeRecorder(sink);
    const e = exchange('graphql:recordConsent,revokeConsent');
    expect(await recorder.appendIntent(e)).toBe(0);
    expect(e.intentSeq).toBe(0);
    const a = openRootField(e, 'graphql:recordConsent#1');
    noteDisclosure(request(e), [S1], []);
    closeRootField(e, a);
    const b = openRootField(e, 'graphql:revokeConsent#2');
    noteDenial(request(e), 'NOT_FOUND');
    closeRootField(e, b, { code: 'NOT_FOUND' });
    noteDenial(request(e), 'BAD_USER_INPUT'); // after the fields: the request's own record
    expect(await recorder.appendClosing(e, e.caller, 'y'.repeat(43))).toBe(2);
    expect(sink.entries.map((x) => [x.operation, x.decision, x.reason, x.subjects, x.responseSha256])).toEqual([
      ['graphql:recordConsent,revokeConsent', 'PERMIT', 'intent', [], ''],
      ['graphql:recordConsent#1', 'PERMIT', 'ok', [S1], 'y'.repeat(43)],
      ['graphql:revokeConsent#2', 'DENY', 'NOT_FOUND', [], 'y'.repeat(43)],
    ]);
  });

  it('a field that fails without a noted denial is recorded DENY with its error code', () => {
    const e = exchange('graphql:applyToProgram');
    const r = openRootField(e, 'graphql:applyToProgram');
    closeRootField(e, r, { code: 'INTERNAL' });
    expect(r).toMatchObject({ decision: 'DENY', reason: 'INTERNAL' });
    expect(e.current).toBeUndefined();
  });

  it('an intent that cannot be appended leaves no intent seq (so no mutation field will run)', async () => {
    const sink = new InMemoryAuditSink();
    sink.failing = true;
    const e = exchange('graphql:submitClaimants');
    await expect(new ExchangeRecorder(sink).appendIntent(e)).rejects.toThrow();
    expect(e.intentSeq).toBeUndefined();
  });
});

describe('exchange recorder: the legal basis from Decide verdicts', () => {
  const VERSION = 'd'.repeat(64);
  it('a PERMIT carries the agreements, legal bases, consents and registry version of the permits it relied on; refused verdicts add nothing', async () => {
    const sink = new InMemoryAuditSink();
    const e = exchange('graphql:claimant');
    noteDisclosure(request(e), [S1], ['province']);
    noteRelied(request(e), [
      { permit: true, agreementId: 'dsa-b', legalBasis: 'Act B s. 2', consentIds: ['c2', 'c1'], registryVersion: VERSION },
      { permit: true, agreementId: 'dsa-a', legalBasis: 'Act A s. 1', consentIds: ['c1'], registryVersion: VERSION },
      { permit: false, agreementId: 'dsa-refused', legalBasis: 'Act R', consentIds: [] },
    ]);
    await new ExchangeRecorder(sink).appendClosing(e, e.caller, '');
    expect(sink.entries[0]).toMatchObject({ agreements: ['dsa-a', 'dsa-b'], legalBasis: ['Act A s. 1', 'Act B s. 2'], consents: ['c1', 'c2'], registryVersion: VERSION, rule: '' });
  });

  it('a DENY names no agreement it relied on, only its rule', async () => {
    const sink = new InMemoryAuditSink();
    const e = exchange('graphql:claimant');
    noteRelied(request(e), [{ permit: true, agreementId: 'dsa-a', legalBasis: 'Act A' }]);
    noteDenial(request(e), 'CONSENT_REQUIRED');
    e.record.rule = 'consent_required';
    await new ExchangeRecorder(sink).appendClosing(e, e.caller, '');
    expect(sink.entries[0]).toMatchObject({ decision: 'DENY', agreements: [], legalBasis: [], consents: [], rule: 'consent_required' });
  });
});
