import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import {
  addAgencyEdits,
  addAgreementEdits,
  addCollectorEdits,
  addKeyEdits,
  appendEdits,
  resolvePointer,
  setEdits,
  applyRegistryEdits,
  compactJson,
  editRegistryText,
  keyStatusEdits,
  RegistryEditRefused,
  unifiedDiff,
  writeFileAtomically,
} from './edit';
import type { RegistryKey } from './types';

const demo = fs.readFileSync(path.join(__dirname, '../../../infra/registry/demo.json'), 'utf8');

function publicKey(kid: string): RegistryKey {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x!, kid, alg: 'EdDSA', status: 'active', use: 'sig' };
}

/** Lines removed from `before` to get `after` (an edit that only adds removes none). */
function removedLines(before: string, after: string): string[] {
  return unifiedDiff(before, after, 'f')
    .split('\n')
    .filter((l) => l.startsWith('-') && !l.startsWith('---'));
}

const newAgency = { id: 'pe.skills', names: { en: 'Prince Edward Island SkillsPEI', fr: 'Île-du-Prince-Édouard SkillsPEI' }, jurisdiction: 'PE', roles: ['CONSUMER' as const] };

describe('registry edits keep the file as the operator wrote it', () => {
  it('adds an agency at the end of agencies, changing no other line, and the result passes the check', () => {
    const out = editRegistryText(demo, addAgencyEdits(demo, newAgency));
    expect(out.problems).toEqual([]);
    expect(removedLines(demo, out.text!)).toEqual([]);
    expect(JSON.parse(out.text!).agencies.at(-1)).toEqual({ ...newAgency, keys: [] });
    // indented like its neighbours
    expect(out.text).toContain('\n    {\n      "id": "pe.skills",\n      "names": {\n        "en": "Prince Edward Island SkillsPEI",');
  });

  it('appends a consent collector on one line, like the collectors already there', () => {
    const out = editRegistryText(demo, addCollectorEdits(demo, { agency: 'ca.ircc', purposes: ['STATISTICS'], recipients: ['ca.esdc'] }));
    expect(out.problems).toEqual([]);
    expect(removedLines(demo, out.text!)).toEqual(['-    { "agency": "ca.ircc", "purposes": ["RELOCATION"], "recipients": ["on.mltsd"] }']);
    expect(out.text).toContain('{ "agency": "ca.ircc", "purposes": ["RELOCATION"], "recipients": ["on.mltsd"] },\n    { "agency": "ca.ircc", "purposes": ["STATISTICS"], "recipients": ["ca.esdc"] }\n  ]');
  });

  it('adds a key to an agency with none, then retires and revokes it by kid', () => {
    const key = publicKey('qc-mifi-2026-a');
    const added = editRegistryText(demo, addKeyEdits(demo, 'qc.mifi', key));
    expect(added.problems).toEqual([]);
    const doc = () => JSON.parse(added.text!).agencies.find((a: { id: string }) => a.id === 'qc.mifi');
    expect(doc().keys).toEqual([key]);
    const retired = applyRegistryEdits(added.text!, keyStatusEdits(added.text!, key.kid, 'retired'));
    expect(removedLines(added.text!, retired)).toEqual(['-          "status": "active",']);
    const revoked = applyRegistryEdits(retired, keyStatusEdits(retired, key.kid, 'revoked'));
    expect(JSON.parse(revoked).agencies.find((a: { id: string }) => a.id === 'qc.mifi').keys[0].status).toBe('revoked');
    expect(() => keyStatusEdits(revoked, key.kid, 'retired')).toThrow("key 'qc-mifi-2026-a' of 'qc.mifi' is revoked: a revoked key cannot become retired");
    expect(() => keyStatusEdits(revoked, key.kid, 'revoked')).toThrow('is already revoked');
    expect(() => keyStatusEdits(demo, 'nobody', 'retired')).toThrow("no key with kid 'nobody' in the registry");
  });

  it('keeps comments and order of a file it did not write (jsonc edit, not re-serialisation)', () => {
    const text = '{\n  "b": 1, // kept\n  "a": [\n    1\n  ]\n}\n';
    expect(applyRegistryEdits(text, [{ path: ['a', -1], value: 2 }])).toBe('{\n  "b": 1, // kept\n  "a": [\n    1,\n    2\n  ]\n}\n');
  });
});

describe('registry edits refuse what the check refuses, naming the problem', () => {
  it('refuses an agency or agreement id that exists, a key for an unknown agency, a kid already used', () => {
    expect(() => addAgencyEdits(demo, { ...newAgency, id: 'qc.mifi' })).toThrow(new RegistryEditRefused("agency 'qc.mifi' already exists"));
    expect(() => addKeyEdits(demo, 'xx.nobody', publicKey('k1'))).toThrow("agency 'xx.nobody' is not in the registry");
    const once = applyRegistryEdits(demo, addKeyEdits(demo, 'qc.mifi', publicKey('k1')));
    expect(() => addKeyEdits(once, 'ca.ircc', publicKey('k1'))).toThrow("kid 'k1' is already in the registry (agency 'qc.mifi')");
    expect(() =>
      addAgreementEdits(demo, { id: 'dsa-mifi-esdc-jobs', provider: 'qc.mifi', consumer: 'ca.esdc', purposes: ['JOB_MATCHING'], fields: ['province'], validFrom: '2026-01-01', validTo: '2026-12-31', legalBasis: 'x' }),
    ).toThrow("agreement 'dsa-mifi-esdc-jobs' already exists");
  });

  it('refuses a private key, an agreement with a consumer lacking the role, a collector naming itself: the check messages, no text', () => {
    const priv = { ...publicKey('k-private'), d: 'c2VjcmV0' };
    const withPrivate = editRegistryText(demo, addKeyEdits(demo, 'qc.mifi', priv));
    expect(withPrivate.text).toBeUndefined();
    expect(withPrivate.problems.map((p) => p.message).join('\n')).toMatch(/private key material \('d'\) must never be in the registry/);

    const agreement = editRegistryText(
      demo,
      addAgreementEdits(demo, { id: 'dsa-new', provider: 'qc.mifi', consumer: 'qc.msss', purposes: ['STATISTICS'], fields: ['province'], validFrom: '2026-01-01', validTo: '2026-12-31', legalBasis: 'law' }),
    );
    expect(agreement.text).toBeUndefined();
    expect(agreement.problems.map((p) => p.message).join('\n')).toMatch(/qc\.msss/);

    const self = editRegistryText(demo, addCollectorEdits(demo, { agency: 'qc.mifi', purposes: ['JOB_MATCHING'], recipients: ['qc.mifi'] }));
    expect(self.text).toBeUndefined();
    expect(self.problems.map((p) => p.message).join('\n')).toMatch(/names itself as a recipient/);
    expect(() => addCollectorEdits(demo, { agency: 'qc.mifi', purposes: ['JOB_MATCHING'], recipients: ['ca.esdc'] })).toThrow('already a consent collector');
  });
});

describe('unifiedDiff, compactJson, writeFileAtomically', () => {
  it.each([
    ['a\nb\nc\n', 'a\nB\nc\n', '--- f\n+++ f (edited)\n@@ -1,4 +1,4 @@\n a\n-b\n+B\n c\n \n'],
    ['x\n', 'x\n', ''],
    ['1\n2\n3\n4\n5\n6\n7\n8\n9\n', '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n', '--- f\n+++ f (edited)\n@@ -7,4 +7,5 @@\n 7\n 8\n 9\n+10\n \n'],
  ])('diff of %j and %j', (a, b, expected) => expect(unifiedDiff(a, b, 'f')).toBe(expected));

  it.each([
    [{ agency: 'a', purposes: ['X', 'Y'] }, '{ "agency": "a", "purposes": ["X", "Y"] }'],
    [[], '[]'],
    [{}, '{}'],
    [{ n: 1, s: 'é"' }, '{ "n": 1, "s": "é\\"" }'],
  ])('compactJson(%j)', (value, expected) => expect(compactJson(value)).toBe(expected));

  it('replaces the file by rename, keeping its mode, leaving no temporary file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reg-edit-'));
    const file = path.join(dir, 'r.json');
    fs.writeFileSync(file, 'old', { mode: 0o640 });
    await writeFileAtomically(file, 'new');
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(dir)).toEqual(['r.json']);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('registry set|append: generic edits at a JSON pointer', () => {
  const indexOfId = (list: string, id: string) => {
    const i = ((JSON.parse(demo) as Record<string, { id: string }[]>)[list] ?? []).findIndex((x) => x.id === id);
    if (i < 0) throw new Error(`the demo registry has no ${list} entry ${id}`);
    return i;
  };
  it.each([
    ['/agreements/0/validTo', ['agreements', 0, 'validTo'], true],
    // ids resolve to their array index in the demo registry, wherever entries were added before them
    ['/agreements/dsa-msss-mifi-eligibility/validTo', ['agreements', indexOfId('agreements', 'dsa-msss-mifi-eligibility'), 'validTo'], true],
    ['/programs/qc-health-asylum/cap', ['programs', indexOfId('programs', 'qc-health-asylum'), 'cap'], true],
    ['/agencies/qc.mifi/rateLimit', ['agencies', indexOfId('agencies', 'qc.mifi'), 'rateLimit'], false],
    ['/consentRequiredFor/-', ['consentRequiredFor', -1], false],
    ['/witnesses', ['witnesses'], false],
  ])('resolves %s', (pointer, path, exists) => expect(resolvePointer(demo, pointer)).toEqual({ path, exists }));

  it.each([
    ['agreements/0', "'agreements/0' is not a JSON pointer"],
    ['/agreements/no-such-id/validTo', `/agreements/no-such-id: no such item (the array has ${(JSON.parse(demo) as { agreements: unknown[] }).agreements.length}`],
    ['/agreements/99', '/agreements/99: no such item'],
    ['/nothing/here', '/nothing: no such member'],
    ['/gatewayId/x', '/gatewayId/x: /gatewayId is a string, not an object or array'],
  ])('refuses %s', (pointer, message) => expect(() => resolvePointer(demo, pointer)).toThrow(message));

  it('sets a date by agreement id and appends a purpose, changing only those lines; a value the check refuses is refused', () => {
    const set = editRegistryText(demo, setEdits(demo, '/agreements/dsa-mifi-esdc-jobs/validTo', '2028-06-30'));
    expect(set.problems).toEqual([]);
    expect(removedLines(demo, set.text!)).toEqual(['-      "validTo": "2027-12-31",']);
    const appended = editRegistryText(demo, appendEdits(demo, '/consentRequiredFor', 'PROGRAM_ELIGIBILITY'));
    expect(JSON.parse(appended.text!).consentRequiredFor).toEqual(['JOB_MATCHING', 'RELOCATION', 'PROGRAM_ELIGIBILITY']);
    const bad = editRegistryText(demo, setEdits(demo, '/agreements/0/validTo', '2027-02-30'));
    expect(bad.text).toBeUndefined();
    expect(bad.problems[0].pointer).toBe('/agreements/0/validTo');
    expect(() => setEdits(demo, '', {})).toThrow('the whole document cannot be replaced');
    expect(() => appendEdits(demo, '/gatewayId', 'x')).toThrow('/gatewayId is not an array: use `registry set` to change it');
  });
});
