import { formatReissuePlan, olderPeriods } from './keys-reissue-plan';

describe('re-issue plan (pure parts)', () => {
  it.each([
    [[{ version: 1 }], { versions: [], froms: [], tos: [], cutoff: undefined }],
    [
      [{ version: 1, to: 't2' }, { version: 2, from: 't2', to: 't3' }, { version: 3, from: 't3' }],
      { versions: [1, 2], froms: [null, 't2'], tos: ['t2', 't3'], cutoff: 't3' },
    ],
  ])('older periods of %j', (periods, expected) => expect(olderPeriods(periods)).toEqual(expected));

  it('says per agency how many claimants it holds under each older version and how many are still to re-issue: counts only', () => {
    expect(
      formatReissuePlan(
        [
          { agency: 'ca.esdc', byVersion: [{ version: 1, claimants: 40 }, { version: 2, claimants: 7 }], outstanding: 12 },
          { agency: 'qc.mifi', byVersion: [{ version: 2, claimants: 3 }], outstanding: 0 },
        ],
        3,
      ),
    ).toEqual([
      're-issue plan (answers now carry p3_; older pseudonyms keep translating):',
      '  ca.esdc: 40 under p1_, 7 under p2_; 12 not handed again since (to re-issue)',
      '  qc.mifi: 3 under p2_; 0 not handed again since (to re-issue)',
    ]);
    expect(formatReissuePlan([], 2)).toEqual(['re-issue plan: no agency holds a pseudonym under an older version']);
  });
});
