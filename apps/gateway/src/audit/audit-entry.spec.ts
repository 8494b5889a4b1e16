import { canonicalize } from 'json-canonicalize';
import { toAuditEntry } from './audit.service';

const base = {
  seq: 7,
  time: '2026-03-01T12:00:00.000Z',
  agency: 'ca.esdc',
  kid: 'k1',
  jti: 'j1',
  purpose: 'JOB_MATCHING',
  operation: 'graphql:claimant',
  reason: 'ok',
  subjects: ['i_AAAAAAAAAAAAAAAAAAAAAA'],
  fields: ['province'],
  request_sha256: '',
  response_sha256: '',
  request_id: 'r1',
};
const V = 'b'.repeat(64);

describe('toAuditEntry (GraphQL AuditEntry)', () => {
  it("exposes a PERMIT's legal basis as stored", () => {
    const stored = { ...base, decision: 'PERMIT', agreements: ['dsa-a', 'dsa-b'], legal_basis: ['Act s. 8'], consents: ['00000000-0000-4000-8000-000000000001'], program_version: `prog@${'c'.repeat(64)}`, registry_version: V };
    const canonicalJson = canonicalize(stored);
    expect(toAuditEntry({ canonicalJson } as never)).toMatchObject({
      agreements: ['dsa-a', 'dsa-b'],
      legalBasis: ['Act s. 8'],
      consents: ['00000000-0000-4000-8000-000000000001'],
      programVersion: `prog@${'c'.repeat(64)}`,
      registryVersion: V,
      rule: null,
      canonicalJson,
    });
  });

  it("exposes a DENY's rule, and empty members for an entry written before they existed", () => {
    expect(toAuditEntry({ canonicalJson: canonicalize({ ...base, decision: 'DENY', reason: 'CONSENT_REQUIRED', rule: 'consent_required', registry_version: V }) } as never)).toMatchObject({
      agreements: [],
      legalBasis: [],
      consents: [],
      programVersion: null,
      registryVersion: V,
      rule: 'consent_required',
    });
    expect(toAuditEntry({ canonicalJson: canonicalize({ ...base, decision: 'PERMIT' }) } as never)).toMatchObject({ agreements: [], registryVersion: null, rule: null, programVersion: null });
  });
});
