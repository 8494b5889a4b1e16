import fc from 'fast-check';
import { canonicalize } from 'json-canonicalize';
import { NO_LEGAL_BASIS, type consentAudit } from '@passerelle/contracts';
import { sampleJobMatchEvent, validateJobMatchEvent } from '@passerelle/messaging';
import { buildEntry, entryTemplate, registryEntry, stampEntry, validateEntryInput, type ValidEntryInput } from './ledger-entry';

/** Any input buildEntry may be given: every member any string of `text`, each optional member present or not. */
function anyEntryInput(text: fc.Arbitrary<string>): fc.Arbitrary<ValidEntryInput> {
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const list = fc.array(text, { maxLength: 3 });
  return fc
    .record({
      agency: text,
      kid: text,
      jti: text,
      purpose: text,
      operation: text,
      decision: fc.constantFrom<'PERMIT' | 'DENY'>('PERMIT', 'DENY'),
      reason: text,
      subjects: list,
      fields: list,
      request_sha256: text,
      response_sha256: text,
      request_id: text,
      agreements: opt(list),
      legal_basis: opt(list),
      consents: opt(list),
      program_version: opt(text),
      registry_version: opt(text),
      rule: opt(text),
    })
    .map((raw) => Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined)) as ValidEntryInput);
}

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

  it('its canonical text is the full JCS of the entry for any values and any optional members (the fast path changes no byte)', () => {
    const input = anyEntryInput(fc.string({ unit: 'binary', maxLength: 12 }));
    fc.assert(
      fc.property(input, fc.nat(), (v, seq) => {
        const { entry, canonical } = buildEntry(seq, '2026-01-02T03:04:05.678Z', v);
        expect(canonical).toBe(canonicalize(entry));
        expect(Object.keys(entry)).toEqual(Object.keys(entry).sort());
      }),
    );
  });
});

describe('the legal basis of an entry (contract §5.1)', () => {
  const VERSION = 'a'.repeat(64);
  const CONSENT = '0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4';
  const basis = { agreements: ['dsa-mifi-esdc-jobs', 'dsa-ircc-esdc-jobs', 'dsa-mifi-esdc-jobs'], legalBasis: ['Canada–Québec Accord (1991) s. 12'], consents: [CONSENT], registryVersion: VERSION };

  it('an old entry keeps its exact shape and leaf: new members appear only when set', () => {
    const { canonical } = buildEntry(7, '2026-01-02T03:04:05.678Z', validateEntryInput(good()));
    expect(Object.keys(JSON.parse(canonical))).not.toEqual(expect.arrayContaining(['agreements']));
    expect(canonical).not.toMatch(/agreements|legal_basis|consents|program_version|registry_version|rule/);
  });

  it('a PERMIT names the agreements, legal bases, consents, program and registry versions it relied on (sorted sets)', () => {
    const v = validateEntryInput(good({ ...basis, programVersion: `qc-health@${'b'.repeat(64)}` }));
    const { entry } = buildEntry(1, '2026-01-02T03:04:05.678Z', v);
    expect(entry).toMatchObject({
      agreements: ['dsa-ircc-esdc-jobs', 'dsa-mifi-esdc-jobs'],
      legal_basis: ['Canada–Québec Accord (1991) s. 12'],
      consents: [CONSENT],
      program_version: `qc-health@${'b'.repeat(64)}`,
      registry_version: VERSION,
    });
  });

  it('the ledger stamps the registry version in force when the caller names none, and a DENY names its rule', () => {
    expect(stampEntry(validateEntryInput(good()), VERSION).registry_version).toBe(VERSION);
    expect(stampEntry(validateEntryInput(good({ registryVersion: 'c'.repeat(64) })), VERSION).registry_version).toBe('c'.repeat(64));
    expect(stampEntry(validateEntryInput(good({ decision: 'DENY', reason: 'consent_required' })), VERSION).rule).toBe('consent_required');
    expect(stampEntry(validateEntryInput(good({ decision: 'DENY', reason: 'NO_AGREEMENT', rule: 'field_not_covered' })), VERSION).rule).toBe('field_not_covered');
    expect(stampEntry(validateEntryInput(good()), VERSION).rule).toBeUndefined();
  });

  it('a registry load is an entry of its own, naming the version', () => {
    const { entry } = buildEntry(0, '2026-01-02T03:04:05.678Z', registryEntry('registry:reload', VERSION));
    expect(entry).toMatchObject({ operation: 'registry:reload', decision: 'PERMIT', agency: '', subjects: [], registry_version: VERSION });
  });

  it.each([
    [{ registryVersion: 'ABC' }, 'entry.registry_version must be a SHA-256 in lowercase hex'],
    [{ consents: ['not-a-uuid'] }, 'entry.consents[0] is not a consent id'],
    [{ agreements: ['x\ny'] }, 'entry.agreements[0] is not an agreement id'],
    [{ legalBasis: [''] }, 'entry.legal_basis[0] is not a legal basis reference'],
    [{ programVersion: 'qc-health' }, 'entry.program_version must be'],
    [{ rule: 'consent_required' }, 'only a DENY carries one'],
  ])('refuses %j, naming the member', (over, message) => {
    expect(() => validateEntryInput(good(over as Partial<consentAudit.AuditEntryInput>))).toThrow(message);
  });
});

describe('entryTemplate (the canonical text around a seq not yet taken)', () => {
  const anyInput = anyEntryInput(fc.string({ maxLength: 40 }));

  it('prefix + seq + suffix is exactly buildEntry(seq).canonical, whatever the strings hold (quotes, "seq" look-alikes)', () => {
    fc.assert(
      fc.property(anyInput, fc.nat({ max: Number.MAX_SAFE_INTEGER }), (entry, seq) => {
        const time = '2026-12-01T17:00:00.123Z';
        const { prefix, suffix } = entryTemplate(time, entry);
        expect(`${prefix}${seq}${suffix}`).toBe(buildEntry(seq, time, entry).canonical);
      }),
    );
    const sneaky = { ...good({}), operation: ',"seq":0,"subjects":[]' } as unknown as ValidEntryInput;
    const { prefix, suffix } = entryTemplate('2026-12-01T17:00:00.000Z', { ...validateEntryInput(good({})), request_id: 'x', operation: sneaky.operation });
    expect(JSON.parse(`${prefix}42${suffix}`).seq).toBe(42);
  });
});
