import { checkDestinations, willingnessInForce, willingnessNames } from './willingness';

describe('willingness to relocate (RELOCATION consent destinations)', () => {
  it("defaults to the recipient's province when it receives, and keeps given destinations sorted", () => {
    expect(checkDestinations('RELOCATION', [], 'NB')).toEqual({ ok: true, value: ['NB'] });
    expect(checkDestinations('RELOCATION', undefined, 'CA')).toEqual({ ok: true, value: [] });
    expect(checkDestinations('RELOCATION', ['ON', 'NB'], 'NB')).toEqual({ ok: true, value: ['NB', 'ON'] });
    expect(checkDestinations('JOB_MATCHING', [], 'CA')).toEqual({ ok: true, value: [] });
  });

  it.each([
    ['JOB_MATCHING', ['NB'], 'NB', 'destinations are for RELOCATION consents only'],
    ['RELOCATION', ['QC'], 'NB', 'destinations must be province or territory codes other than QC'],
    ['RELOCATION', ['New Brunswick'], 'NB', 'destinations must be province or territory codes other than QC'],
    ['RELOCATION', ['NB', 'NB'], 'NB', 'destinations must not repeat'],
    ['RELOCATION', ['ON'], 'NB', "destinations must name the recipient's own province"],
    ['RELOCATION', ['ON'], 'CA', "destinations must name the recipient's own province"],
  ])('refuses %s %j to a recipient in %s', (purpose, destinations, jurisdiction, reason) => {
    const checked = checkDestinations(purpose, destinations, jurisdiction);
    expect(checked.ok).toBe(false);
    expect((checked as { reason: string }).reason).toContain(reason);
  });

  it('names a province only when the claimant accepted it', () => {
    expect(willingnessNames(['NB', 'ON'], 'NB')).toBe(true);
    expect(willingnessNames(['ON'], 'NB')).toBe(false);
  });
});

describe('willingness in force', () => {
  const at = new Date('2026-06-01T12:00:00Z');
  const base = { purpose: 'RELOCATION', recipient: 'nb.petl', collectedBy: 'qc.mifi', validFrom: '2026-01-01T00:00:00Z', expiresAt: '2027-01-01T00:00:00Z', revokedAt: '', destinations: ['NB'] };
  const declared = (collector: string) => collector === 'qc.mifi';
  it('finds a RELOCATION consent to the receiver, in force, from a declared collector, naming its province', () => {
    expect(willingnessInForce([base], 'nb.petl', 'NB', at, declared)).toEqual(base);
  });
  it.each([
    ['another purpose', { purpose: 'JOB_MATCHING' }],
    ['another recipient', { recipient: 'on.mltsd' }],
    ['an undeclared collector', { collectedBy: 'nb.petl' }],
    ['revoked', { revokedAt: '2026-05-01T00:00:00Z' }],
    ['expired', { expiresAt: '2026-06-01T12:00:00Z' }],
    ['not yet valid', { validFrom: '2026-07-01T00:00:00Z' }],
    ['naming another province', { destinations: ['ON'] }],
  ])('none when %s', (_name, change) => {
    expect(willingnessInForce([{ ...base, ...change }], 'nb.petl', 'NB', at, declared)).toBeNull();
  });
});
