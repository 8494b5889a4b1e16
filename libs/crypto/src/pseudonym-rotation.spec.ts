import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromAgencyPseudonym, loadPseudonymKeyring, toAgencyPseudonym, toInternalId } from './pseudonyms';
import { PseudonymKeyringRefused, pseudonymVersionPeriods, rotatePseudonymKeyVersion } from './pseudonym-rotation';

describe('pseudonym key rotation', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-rot-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('old pseudonyms still translate after a rotation; new ones carry the new version; the keyring stays 0600', async () => {
    const before = await loadPseudonymKeyring(dir);
    const subject = toInternalId(before, 'UCI 1234-5678');
    const oldPseudonym = toAgencyPseudonym(before, 'ca.esdc', subject);
    expect(oldPseudonym).toMatch(/^p1_/);

    const { version, periods } = await rotatePseudonymKeyVersion(dir);
    expect(version).toBe(2);
    expect(periods.map((p) => [p.version, p.from === undefined, p.to === undefined])).toEqual([
      [1, true, false],
      [2, false, true],
    ]);
    const after = await loadPseudonymKeyring(dir);
    expect(after.current.version).toBe(2);
    expect(toInternalId(after, 'UCI 1234-5678')).toBe(subject); // the internal key is untouched
    expect(fromAgencyPseudonym(after, 'ca.esdc', oldPseudonym)).toBe(subject);
    const newPseudonym = toAgencyPseudonym(after, 'ca.esdc', subject);
    expect(newPseudonym).toMatch(/^p2_/);
    expect(fromAgencyPseudonym(after, 'ca.esdc', newPseudonym)).toBe(subject);
    expect(fromAgencyPseudonym(after, 'qc.mifi', oldPseudonym)).toBeNull();
    expect(fs.statSync(path.join(dir, 'pseudonym-keys.json')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a directory without a keyring, and a clock behind the last rotation', async () => {
    await expect(rotatePseudonymKeyVersion(dir)).rejects.toThrow(new PseudonymKeyringRefused(`no pseudonym-keys.json in ${dir}: is --secrets the apps' PASSERELLE_SECRETS_DIR? (the gateway creates the keyring when it first starts)`));
    await loadPseudonymKeyring(dir);
    await expect(rotatePseudonymKeyVersion(dir, new Date('2000-01-01T00:00:00Z'))).rejects.toThrow(/check the system clock/);
  });

  it.each([
    [[{ version: 1, createdAt: 'a' }], [{ version: 1 }]],
    [
      [
        { version: 2, createdAt: 'b' },
        { version: 1, createdAt: 'a' },
        { version: 3, createdAt: 'c' },
      ],
      [{ version: 1, to: 'b' }, { version: 2, from: 'b', to: 'c' }, { version: 3, from: 'c' }],
    ],
  ])('version periods of %j', (versions, expected) => expect(pseudonymVersionPeriods(versions)).toEqual(expected));
});
