import fc from 'fast-check';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { formatVkey, generateKeyPair, SIG_COSIGNATURE_V1, SIG_ED25519 } from '@passerelle/checkpoint';
import { checkRegistryText } from './check';
import { Registry, agreementInForce, registryVersion } from './registry';
import { CLAIMANT_FIELDS, PURPOSES, type RegistryDocument } from './types';

function edKey(kid: string, status: 'active' | 'retired' | 'revoked' = 'active') {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  return { kty: 'OKP' as const, crv: 'Ed25519', x: jwk.x!, kid, alg: 'EdDSA' as const, status };
}
function ecKey(kid: string) {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  return { kty: 'EC' as const, crv: 'P-256', x: jwk.x!, y: jwk.y!, kid, alg: 'ES256' as const, status: 'active' as const };
}

function validDoc(): RegistryDocument {
  return {
    gatewayId: 'passerelle',
    agencies: [
      { id: 'qc.mifi', names: { en: 'Quebec immigration', fr: 'Immigration Québec' }, jurisdiction: 'QC', roles: ['PROVIDER', 'CONSUMER'], keys: [edKey('mifi-1')] },
      { id: 'ca.esdc', names: { en: 'ESDC', fr: 'EDSC' }, jurisdiction: 'CA', roles: ['CONSUMER', 'PUBLISHER'], keys: [ecKey('esdc-1')] },
    ],
    agreements: [
      { id: 'dsa-1', provider: 'qc.mifi', consumer: 'ca.esdc', purposes: ['JOB_MATCHING'], fields: ['province', 'nocCode'], validFrom: '2026-01-01', validTo: '2027-12-31', legalBasis: 'accord' },
    ],
    // a valid program under the rule language of libs/policy/src/programs (issue 8)
    consentCollectors: [{ agency: 'qc.mifi', purposes: ['JOB_MATCHING'], recipients: ['ca.esdc'] }],
    programs: [{ id: 'qc-health-asylum', names: { en: 'Quebec health', fr: 'Santé Québec' }, conditions: [{ name: 'in-quebec', kind: 'provinceIn', provinces: ['QC'] }], cap: 1500, capPeriod: null }] as never,
  };
}

const text = (doc: unknown) => JSON.stringify(doc, null, 2);

describe('checkRegistryText', () => {
  it('accepts a valid registry, with programs carrying any properties', () => {
    const { registry, problems } = checkRegistryText(text(validDoc()));
    expect(problems).toEqual([]);
    expect(registry?.agencies).toHaveLength(2);
  });

  it('reports JSON syntax errors with line and column', () => {
    const { registry, problems } = checkRegistryText('{\n  "gatewayId": "x",\n  "agencies": [,]\n}');
    expect(registry).toBeUndefined();
    expect(problems[0]).toMatchObject({ line: 3 });
    expect(problems[0].message).toMatch(/line 3, column \d+/);
  });

  it('refuses private key material and names the key by pointer and line', () => {
    const doc = validDoc();
    (doc.agencies[0].keys[0] as Record<string, unknown>).d = 'c2VjcmV0';
    const t = text(doc);
    const { problems } = checkRegistryText(t);
    const p = problems.find((x) => x.pointer === '/agencies/0/keys/0/d');
    expect(p?.message).toMatch(/private key material/);
    expect(t.split('\n')[p!.line! - 1]).toContain('"d"');
  });

  it.each([
    ['duplicate agency id', (d: RegistryDocument) => d.agencies.push({ ...d.agencies[0], keys: [] }), '/agencies/2/id', /duplicate agency id/],
    ['duplicate kid', (d: RegistryDocument) => d.agencies[1].keys.push(edKey('mifi-1')), '/agencies/1/keys/1/kid', /duplicate kid/],
    ['unknown provider', (d: RegistryDocument) => (d.agreements[0].provider = 'qc.nope'), '/agreements/0/provider', /not an agency/],
    ['consumer without role', (d: RegistryDocument) => (d.agreements[0].consumer = 'qc.mifi'), '/agreements/0/consumer', /two different agencies/],
    ['provider lacking PROVIDER', (d: RegistryDocument) => (d.agreements[0].provider = 'ca.esdc'), '/agreements/0/provider', /does not hold the PROVIDER role/],
    ['unknown field', (d: RegistryDocument) => ((d.agreements[0].fields as string[])[0] = 'name'), '/agreements/0/fields/0', /"name" is not allowed/],
    ['unknown purpose', (d: RegistryDocument) => ((d.agreements[0].purposes as string[])[0] = 'SPYING'), '/agreements/0/purposes/0', /"SPYING" is not allowed/],
    ['validFrom after validTo', (d: RegistryDocument) => (d.agreements[0].validFrom = '2028-01-01'), '/agreements/0/validTo', /before validFrom/],
    ['not a calendar date', (d: RegistryDocument) => (d.agreements[0].validTo = '2027-02-30'), '/agreements/0/validTo', /not a calendar date/],
    ['alg not allowed', (d: RegistryDocument) => ((d.agencies[0].keys[0] as { alg: string }).alg = 'RS256'), '/agencies/0/keys/0/alg', /not allowed/],
    ['kty not matching alg', (d: RegistryDocument) => ((d.agencies[1].keys[0] as { alg: string }).alg = 'EdDSA'), '/agencies/1/keys/0/kty', /needs kty 'OKP'/],
    ['bad key material', (d: RegistryDocument) => (d.agencies[0].keys[0].x = 'AAAA'), '/agencies/0/keys/0/x', /not a valid Ed25519 public key/],
    ['missing gatewayId', (d: RegistryDocument) => delete (d as Partial<RegistryDocument>).gatewayId, '', /missing required property 'gatewayId'/],
    ['unknown property', (d: RegistryDocument) => ((d.agreements[0] as unknown as Record<string, unknown>).extra = 1), '/agreements/0/extra', /unknown property 'extra'/],
    ['a collector naming itself as recipient', (d: RegistryDocument) => d.consentCollectors![0].recipients.push('qc.mifi'), '/consentCollectors/0/recipients/1', /never collects consent to itself/],
    ['an unknown consent collector', (d: RegistryDocument) => (d.consentCollectors![0].agency = 'qc.nope'), '/consentCollectors/0/agency', /consent collector 'qc.nope' is not an agency/],
    ['a collector without a consent-managing role', (d: RegistryDocument) => (d.agencies[0].roles = ['PUBLISHER']), '/consentCollectors/0/agency', /neither the PROVIDER nor the CONSUMER role/],
    ['an unknown recipient', (d: RegistryDocument) => (d.consentCollectors![0].recipients = ['on.nope']), '/consentCollectors/0/recipients/0', /recipient 'on.nope' is not an agency/],
    ['a recipient lacking CONSUMER', (d: RegistryDocument) => (d.agencies[1].roles = ['PUBLISHER']), '/consentCollectors/0/recipients/0', /does not hold the CONSUMER role/],
    ['a purpose nobody consents to', (d: RegistryDocument) => ((d.consentCollectors![0].purposes as string[])[0] = 'AUDIT_REVIEW'), '/consentCollectors/0/purposes/0', /"AUDIT_REVIEW" is not allowed/],
    ['a collector entry without recipients', (d: RegistryDocument) => (d.consentCollectors![0].recipients = []), '/consentCollectors/0/recipients', /at least 1 item/],
    ['program without id', (d: RegistryDocument) => (d.programs = [{ cap: 3 } as never]), '/programs/0', /missing required property 'id'/],
  ])('names %s', (_name, mutate, pointer, message) => {
    const doc = validDoc();
    mutate(doc);
    const { registry, problems } = checkRegistryText(text(doc));
    expect(registry).toBeUndefined();
    const p = problems.find((x) => x.pointer === pointer && message.test(x.message));
    expect(p).toBeDefined();
    expect(p!.line).toBeGreaterThanOrEqual(1);
  });

  it('never throws and always returns problems or a registry, on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (t) => {
        const r = checkRegistryText(t);
        expect(r.registry === undefined).toBe(r.problems.length > 0);
      }),
      { numRuns: 500 },
    );
  });

  it('finds every mutated agreement date order problem (property)', () => {
    const day = fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(day, day, (a, b) => {
        const doc = validDoc();
        doc.agreements[0].validFrom = a;
        doc.agreements[0].validTo = b;
        const { problems } = checkRegistryText(text(doc));
        expect(problems.some((p) => /before validFrom/.test(p.message))).toBe(a > b);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Registry', () => {
  const registry = new Registry(checkRegistryText(text(validDoc())).registry!);

  it('indexes agencies, keys and roles', () => {
    expect(registry.gatewayId).toBe('passerelle');
    expect(registry.agency('qc.mifi')?.jurisdiction).toBe('QC');
    expect(registry.key('qc.mifi', 'mifi-1')?.alg).toBe('EdDSA');
    expect(registry.key('ca.esdc', 'mifi-1')).toBeUndefined();
    expect(registry.keyByKid('esdc-1')?.agency.id).toBe('ca.esdc');
    expect(registry.hasRole('ca.esdc', 'PUBLISHER')).toBe(true);
    expect(registry.hasRole('ca.esdc', 'PROVIDER')).toBe(false);
    expect(registry.hasRole('nobody', 'CONSUMER')).toBe(false);
  });

  it('says who may collect consent for which purpose and recipient, never to itself', () => {
    expect(registry.mayCollectConsent('qc.mifi', 'JOB_MATCHING', 'ca.esdc')).toBe(true);
    expect(registry.mayCollectConsent('qc.mifi', 'RELOCATION', 'ca.esdc')).toBe(false);
    expect(registry.mayCollectConsent('ca.esdc', 'JOB_MATCHING', 'ca.esdc')).toBe(false);
    expect(registry.mayCollectConsent('qc.mifi', 'JOB_MATCHING', 'qc.mifi')).toBe(false);
    expect(registry.isConsentCollector('qc.mifi')).toBe(true);
    expect(registry.isConsentCollector('ca.esdc')).toBe(false);
    const none = new Registry({ ...validDoc(), consentCollectors: undefined });
    expect(none.mayCollectConsent('qc.mifi', 'JOB_MATCHING', 'ca.esdc')).toBe(false);
  });

  it('is immutable', () => {
    expect(() => (registry.document.agencies[0].roles as string[]).push('OPERATOR')).toThrow();
  });

  it('finds agreements in force, inclusive of both ends (UTC days)', () => {
    const q = { consumer: 'ca.esdc', purpose: 'JOB_MATCHING' as const };
    expect(registry.agreementsFor({ ...q, at: new Date('2026-01-01T00:00:00Z') })).toHaveLength(1);
    expect(registry.agreementsFor({ ...q, at: new Date('2027-12-31T23:59:59Z') })).toHaveLength(1);
    expect(registry.agreementsFor({ ...q, at: new Date('2025-12-31T23:59:59Z') })).toHaveLength(0);
    expect(registry.agreementsFor({ ...q, at: new Date('2028-01-01T00:00:00Z') })).toHaveLength(0);
    expect(registry.agreementsFor({ ...q, provider: 'ca.ircc', at: new Date('2026-06-01') })).toHaveLength(0);
    expect(registry.agreementsFor({ consumer: 'ca.esdc', purpose: 'STATISTICS', at: new Date('2026-06-01') })).toHaveLength(0);
  });

  it('says which purposes need consent, defaulting to JOB_MATCHING and RELOCATION', () => {
    expect(PURPOSES.filter((p) => registry.consentRequired(p))).toEqual(['JOB_MATCHING', 'RELOCATION']);
    const custom = new Registry({ ...validDoc(), consentRequiredFor: ['STATISTICS'] });
    expect(PURPOSES.filter((p) => custom.consentRequired(p))).toEqual(['STATISTICS']);
  });

  it('agreementInForce matches a day comparison (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }), (at) => {
        const day = at.toISOString().slice(0, 10);
        expect(agreementInForce({ validFrom: '2026-01-01', validTo: '2027-12-31' }, at)).toBe(day >= '2026-01-01' && day <= '2027-12-31');
      }),
    );
  });

  it('names a hostile nesting depth as a problem instead of overflowing the stack', () => {
    const deep = checkRegistryText(`${'['.repeat(50_000)}${']'.repeat(50_000)}`, 'deep.json');
    expect(deep.registry).toBeUndefined();
    expect(deep.problems).toEqual([{ pointer: '', line: 1, message: expect.stringMatching(/^deep\.json: JSON nested deeper than 64 levels at line 1, column 65/) }]);
    // brackets inside strings do not count
    expect(checkRegistryText(JSON.stringify({ gatewayId: '['.repeat(500) })).problems.every((p) => !/nested deeper/.test(p.message))).toBe(true);
  });

  it('knows the contract field names', () => {
    expect(CLAIMANT_FIELDS).toContain('healthCareHours');
  });
});

describe('registry witnesses (issue 18)', () => {
  const pair = generateKeyPair('qc.cai', SIG_COSIGNATURE_V1);
  const vkey = formatVkey('qc.cai', SIG_COSIGNATURE_V1, pair.publicKey);
  const withWitnesses = (witnesses: unknown) => ({ ...validDoc(), witnesses });

  it('accepts witnesses with a cosigner vkey and an add-checkpoint URL', () => {
    const { registry, problems } = checkRegistryText(text(withWitnesses([{ name: 'qc.cai', vkey, url: 'http://127.0.0.1:7381' }])));
    expect(problems).toEqual([]);
    expect(registry?.witnesses?.[0].name).toBe('qc.cai');
  });

  it.each([
    ['a log key (type 0x01) given as a witness key', [{ name: 'qc.cai', vkey: formatVkey('qc.cai', SIG_ED25519, pair.publicKey), url: 'http://w' }], '/witnesses/0/vkey', /cosignature\/v1 key \(type 0x04\)/],
    ['a vkey whose key ID is not its own', [{ name: 'qc.cai', vkey: vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'), url: 'http://w' }], '/witnesses/0/vkey', /not a valid vkey/],
    ['two witnesses of one name', [{ name: 'qc.cai', vkey, url: 'http://a' }, { name: 'qc.cai', vkey, url: 'http://b' }], '/witnesses/1/name', /duplicate witness name/],
    ['a URL that is not http(s)', [{ name: 'qc.cai', vkey, url: 'ftp://w' }], '/witnesses/0/url', /pattern/],
  ])('refuses %s', (_what, witnesses, pointer, message) => {
    const { registry, problems } = checkRegistryText(text(withWitnesses(witnesses)));
    expect(registry).toBeUndefined();
    expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ pointer, message: expect.stringMatching(message) })]));
  });

  it('the registry version is the SHA-256 of the file bytes', () => {
    const t = text(validDoc());
    expect(registryVersion(t)).toBe(createHash('sha256').update(t).digest('hex'));
    expect(new Registry(validDoc(), registryVersion(t)).version).toBe(registryVersion(t));
  });
});
