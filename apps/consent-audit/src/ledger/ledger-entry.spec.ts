import fc from 'fast-check';
import { canonicalize } from 'json-canonicalize';
import { NO_LEGAL_BASIS, type consentAudit } from '@passerelle/contracts';
import { sampleJobMatchEvent, validateJobMatchEvent } from '@passerelle/messaging';
import { buildEntry, validateEntryInput } from './ledger-entry';

const ID_A = 'i_AAAAAAAAAAAAAAAAAAAAAA';
const ID_B = 'i_BBBBBBBBBBBBBBBBBBBBBB';
const good = (over: Partial<consentAudit.AuditEntryInput> = {}): consentAudit.AuditEntryInput => ({
  agency: 'ca.esdc',
  kid: 'esdc-2026-01',
  jti: 'abcdefghijklmnop',
  purpose: 'JOB_MATCHING',
  operation: 'graphql:claimants',
  decision: 'PERMIT',
  reason: 'ok',
  subjects: [ID_B, ID_A, ID_B],
  fields: ['province', 'nocCode'],
  requestSha256: '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
  responseSha256: '',
  requestId: 'req-1',
  ...NO_LEGAL_BASIS,
  ...over,
});

describe('ledger entry input', () => {
  it('every event the contract allows is auditable: any event id a job-match event may carry is a valid jti', () => {
    expect(validateEntryInput(good({ jti: 'jobbank.2026-03:evt.0001:a' })).jti).toBe('jobbank.2026-03:evt.0001:a');
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), (eventId) => {
        const event = sampleJobMatchEvent({ eventId });
        expect(validateJobMatchEvent(event).filter((p) => p.field === 'eventId')).toEqual([]);
        expect(validateEntryInput(good({ jti: eventId })).jti).toBe(eventId);
      }),
    );
  });

  it('accepts a good entry, recording subjects and fields as sorted sets', () => {
    const v = validateEntryInput(good());
    expect(v.subjects).toEqual([ID_A, ID_B]);
    expect(v.fields).toEqual(['nocCode', 'province']);
  });

  it('accepts an unattributed denial (empty agency, kid, jti, purpose)', () => {
    expect(validateEntryInput(good({ agency: '', kid: '', jti: '', purpose: '', decision: 'DENY', reason: 'malformed_signature', subjects: [], fields: [] })).decision).toBe('DENY');
  });

  it.each([
    [{ decision: 'MAYBE' }, 'entry.decision must be PERMIT or DENY'],
    [{ subjects: [ID_A, '1234-567-890'] }, 'entry.subjects[1] is not a gateway-internal id'],
    [{ fields: ['province', 'drop table'] }, 'entry.fields[1] is not a field name'],
    [{ operation: '' }, 'entry.operation is required'],
    [{ operation: 'x\ny' }, 'entry.operation is required'],
    [{ reason: '' }, 'entry.reason is required'],
    [{ agency: 'Bad Agency' }, 'entry.agency must be an agency id'],
    [{ requestSha256: 'abc' }, 'entry.request_sha256 must be a base64url SHA-256'],
    [{ responseSha256: 'x'.repeat(44) }, 'entry.response_sha256 must be a base64url SHA-256'],
    [{ jti: 'a'.repeat(129) }, 'entry.jti must be at most 128'],
    [{ purpose: 'job matching' }, 'entry.purpose must be a purpose name'],
    [{ subjects: Array(10_001).fill(ID_A) }, 'entry.subjects has 10001 items; at most 10000'],
  ])('refuses %j', (over, message) => {
    expect(() => validateEntryInput(good(over as Partial<consentAudit.AuditEntryInput>))).toThrow(message);
  });

  it('never echoes the offending value in its message', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 12 }).filter((s) => !/^i_[A-Za-z0-9_-]{22}$/.test(s)), (raw) => {
        try {
          validateEntryInput(good({ subjects: [raw] }));
        } catch (e) {
          expect((e as Error).message).not.toContain(raw);
          return;
        }
        throw new Error('accepted a bad subject');
      }),
    );
  });

  it('builds exactly the contract object, whose canonical text is its JCS', () => {
    const { entry, canonical } = buildEntry(42, '2026-01-02T03:04:05.678Z', validateEntryInput(good()));
    expect(Object.keys(entry).sort()).toEqual(['agency', 'decision', 'fields', 'jti', 'kid', 'operation', 'purpose', 'reason', 'request_id', 'request_sha256', 'response_sha256', 'seq', 'subjects', 'time']);
    expect(canonical).toBe(canonicalize(entry));
    expect(JSON.parse(canonical)).toEqual(entry);
  });
});
