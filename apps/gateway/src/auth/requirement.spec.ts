import { Registry } from '@passerelle/registry';
import { decideRequirement } from './requirement';

const registry = new Registry({
  gatewayId: 'gw',
  agencies: [
    { id: 'qc.mifi', names: { en: 'a', fr: 'b' }, jurisdiction: 'QC', roles: ['PROVIDER', 'CONSUMER'], keys: [] },
    { id: 'ops.audit', names: { en: 'a', fr: 'b' }, jurisdiction: 'CA', roles: ['OPERATOR'], keys: [] },
  ],
  agreements: [],
  programs: [],
});
const caller = (agency: string, purpose: 'JOB_MATCHING' | 'AUDIT_REVIEW' | 'STATISTICS') => ({ agency, kid: 'k', jti: 'j'.repeat(16), purpose, exp: 0 });

describe('decideRequirement', () => {
  it('refuses unverified callers and operations without a rule (deny by default)', () => {
    expect(decideRequirement(registry, undefined, { role: 'CONSUMER', purposes: ['JOB_MATCHING'] })).toMatchObject({ ok: false, message: expect.stringMatching(/verified/) });
    expect(decideRequirement(registry, caller('qc.mifi', 'JOB_MATCHING'), undefined)).toMatchObject({ ok: false, message: expect.stringMatching(/no access rule/) });
  });

  it('requires one of the roles and one of the purposes', () => {
    const rule = { role: ['CONSUMER', 'OPERATOR'] as const, purposes: ['JOB_MATCHING', 'AUDIT_REVIEW'] as const };
    const r = { role: [...rule.role], purposes: [...rule.purposes] };
    expect(decideRequirement(registry, caller('qc.mifi', 'JOB_MATCHING'), r)).toEqual({ ok: true });
    expect(decideRequirement(registry, caller('ops.audit', 'AUDIT_REVIEW'), r)).toEqual({ ok: true });
    expect(decideRequirement(registry, caller('qc.mifi', 'STATISTICS'), r)).toMatchObject({ ok: false, message: expect.stringMatching(/purpose STATISTICS/) });
    expect(decideRequirement(registry, caller('ops.audit', 'AUDIT_REVIEW'), { role: 'PROVIDER', purposes: ['AUDIT_REVIEW'] })).toMatchObject({ ok: false, message: expect.stringMatching(/PROVIDER role/) });
    expect(decideRequirement(registry, caller('gone.agency', 'AUDIT_REVIEW'), { role: 'OPERATOR', purposes: ['AUDIT_REVIEW'] })).toMatchObject({ ok: false });
  });
});
