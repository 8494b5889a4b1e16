import type { consentAudit } from '@passerelle/contracts';
import { buildEntry, entryToSequence, stampEntry, validateEntryInput } from '../../../consent-audit/src/ledger/ledger-entry';
import { RefusedForGood } from './dependency';
import { entriesToSequence } from './match-entries';

const TIME = '2026-12-02T06:00:00.000Z';

function permit(i: number): consentAudit.AuditEntryInput {
  return {
    agency: 'esdc-jobbank',
    kid: 'k1',
    jti: `evt-${i}`,
    purpose: 'JOB_MATCHING',
    operation: 'kafka:jobbank.matches.v1',
    decision: 'PERMIT',
    reason: 'ok',
    subjects: ['i_AAAAAAAAAAAAAAAAAAAAAA'],
    fields: ['title', 'city'],
    requestSha256: 'A'.repeat(43),
    responseSha256: '',
    requestId: `jobbank.matches.v1:0:${i}`,
  } as consentAudit.AuditEntryInput;
}

describe('entriesToSequence (the consumer applies the ledger entry rules itself)', () => {
  it('gives exactly what consent-audit sequences for the same entries: same template, same canonical text at any seq', () => {
    const inputs = [permit(1), { ...permit(2), decision: 'DENY', reason: 'consent_missing' } as consentAudit.AuditEntryInput];
    const got = entriesToSequence(inputs, TIME, 'reg-v7');
    inputs.forEach((input, i) => {
      const valid = stampEntry(validateEntryInput(input), 'reg-v7');
      expect(got[i]).toEqual(entryToSequence(TIME, valid));
      for (const seq of [0, 9, 123456789]) expect(`${got[i].prefix}${seq}${got[i].suffix}`).toBe(buildEntry(seq, TIME, valid).canonical);
    });
    // stamped as the ledger stamps: the registry version, and a DENY's reason as its rule
    const text = `${got[1].prefix}0${got[1].suffix}`;
    expect(text).toContain('"registry_version":"reg-v7"');
    expect(text).toContain('"rule":"consent_missing"');
  });

  it('refuses, for good and before anything is written, an entry the ledger would refuse, naming its index and rule but not its value', () => {
    const hostileId = 'evt 1/../../x';
    let err: unknown;
    try {
      entriesToSequence([permit(1), { ...permit(2), jti: hostileId }], TIME, 'reg-v7');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RefusedForGood);
    const refused = err as RefusedForGood;
    expect(refused).toMatchObject({ status: 3, code: 'refused_invalid_argument', by: 'the ledger' });
    expect(refused.details).toMatch(/^entries\[1\]: /);
    expect(refused.message).not.toContain(hostileId);
  });

  it('refuses a subject that is not an internal id (no raw identifier ever reaches the ledger)', () => {
    expect(() => entriesToSequence([{ ...permit(1), subjects: ['123-456-789'] }], TIME, undefined)).toThrow(RefusedForGood);
  });
});
