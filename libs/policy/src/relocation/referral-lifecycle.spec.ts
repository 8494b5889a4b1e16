import { FINAL_STATUSES, guardTransition, partiesOf, REFERRAL_PARTIES, REFERRAL_STATUSES, REFERRAL_TRANSITIONS, type ReferralParty, type ReferralStatus } from './referral-lifecycle';

/** The lifecycle as the issue states it: who may do what, written out here by hand, not read from the table. */
const EXPECTED: Record<string, ReferralParty> = {
  'REFERRED→CONTACTED': 'RECEIVING_PROVINCE',
  'CONTACTED→ACCEPTED': 'REFERRING_AGENCY',
  'CONTACTED→DECLINED': 'REFERRING_AGENCY',
  'ACCEPTED→RELOCATED': 'RECEIVING_PROVINCE',
  'RELOCATED→EMPLOYED': 'EMPLOYMENT_AUTHORITY',
  'REFERRED→WITHDRAWN': 'CLAIMANT_CONSENT',
  'CONTACTED→WITHDRAWN': 'CLAIMANT_CONSENT',
  'ACCEPTED→WITHDRAWN': 'CLAIMANT_CONSENT',
  'RELOCATED→WITHDRAWN': 'CLAIMANT_CONSENT',
};
const ORDER: Record<ReferralStatus, number> = { REFERRED: 0, CONTACTED: 1, ACCEPTED: 2, DECLINED: 2, RELOCATED: 3, EMPLOYED: 4, WITHDRAWN: 5 };

describe('referral lifecycle', () => {
  const pairs = REFERRAL_STATUSES.flatMap((from) => REFERRAL_STATUSES.map((to) => [from, to] as const));

  it.each(pairs)('every (from, to) pair and every party: %s → %s', (from, to) => {
    const allowed = EXPECTED[`${from}→${to}`];
    for (const party of REFERRAL_PARTIES) {
      const reason = to === 'DECLINED' ? 'LANGUAGE' : to === 'WITHDRAWN' ? 'CONSENT_REVOKED' : undefined;
      const verdict = guardTransition({ from, to, party, reason });
      if (allowed === undefined) {
        expect(verdict).toMatchObject({ ok: false, code: 'ILLEGAL_TRANSITION' });
      } else if (party === allowed) {
        expect(verdict).toMatchObject({ ok: true, rule: { from, to, by: party } });
      } else {
        expect(verdict).toMatchObject({ ok: false, code: 'WRONG_PARTY' });
        expect((verdict as { reason: string }).reason).toMatch(/^only the /);
      }
    }
  });

  it('has no backwards transition and exactly three final states', () => {
    for (const t of REFERRAL_TRANSITIONS) expect(ORDER[t.to]).toBeGreaterThan(ORDER[t.from]);
    expect([...FINAL_STATUSES].sort()).toEqual(['DECLINED', 'EMPLOYED', 'WITHDRAWN']);
    expect(guardTransition({ from: 'EMPLOYED', to: 'RELOCATED', party: 'EMPLOYMENT_AUTHORITY' })).toEqual({ ok: false, code: 'ILLEGAL_TRANSITION', reason: 'a EMPLOYED referral is final and cannot move to RELOCATED' });
    expect(guardTransition({ from: 'REFERRED', to: 'ACCEPTED', party: 'REFERRING_AGENCY' })).toEqual({ ok: false, code: 'ILLEGAL_TRANSITION', reason: 'a REFERRED referral can only move to CONTACTED or WITHDRAWN, not ACCEPTED' });
  });

  it('takes reasons from a closed list only', () => {
    expect(guardTransition({ from: 'CONTACTED', to: 'DECLINED', party: 'REFERRING_AGENCY' })).toMatchObject({ ok: false, code: 'INVALID_REASON' });
    expect(guardTransition({ from: 'CONTACTED', to: 'DECLINED', party: 'REFERRING_AGENCY', reason: 'because' })).toMatchObject({ ok: false, code: 'INVALID_REASON' });
    expect(guardTransition({ from: 'CONTACTED', to: 'ACCEPTED', party: 'REFERRING_AGENCY', reason: 'CONSENT_REVOKED' })).toMatchObject({ ok: false, code: 'INVALID_REASON' });
    expect(guardTransition({ from: 'CONTACTED', to: 'ACCEPTED', party: 'REFERRING_AGENCY' })).toMatchObject({ ok: true });
    expect(guardTransition({ from: 'REFERRED', to: 'NOWHERE', party: 'REFERRING_AGENCY' })).toMatchObject({ ok: false, code: 'UNKNOWN_STATUS' });
  });

  it('names the parties an agency is for one referral (never the consent)', () => {
    const r = { referredBy: 'qc.mifi', toAgency: 'nb.petl' };
    expect(partiesOf('qc.mifi', r, ['ca.esdc'])).toEqual(['REFERRING_AGENCY']);
    expect(partiesOf('nb.petl', r, ['ca.esdc'])).toEqual(['RECEIVING_PROVINCE']);
    expect(partiesOf('ca.esdc', r, ['ca.esdc'])).toEqual(['EMPLOYMENT_AUTHORITY']);
    expect(partiesOf('on.mltsd', r, ['ca.esdc'])).toEqual([]);
  });
});
