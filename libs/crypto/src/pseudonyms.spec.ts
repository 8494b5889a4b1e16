import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromAgencyPseudonym, isInternalId, loadPseudonymKeyring, rotatePseudonymKeys, testKeyring, toAgencyPseudonym, toInternalId } from './pseudonyms';

const agencies = ['ca.ircc', 'ca.esdc', 'qc.mifi', 'qc.msss', 'on.mltsd'];
const clientIds = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0);

describe('pseudonyms', () => {
  const keyring = testKeyring();

  it('gives every agency its own stable pseudonym that only it can translate back', () => {
    fc.assert(
      fc.property(clientIds, fc.constantFrom(...agencies), fc.constantFrom(...agencies), (clientId, a, b) => {
        const internal = toInternalId(keyring, clientId);
        expect(isInternalId(internal)).toBe(true);
        const pa = toAgencyPseudonym(keyring, a, internal);
        expect(toAgencyPseudonym(keyring, a, internal)).toBe(pa);
        expect(fromAgencyPseudonym(keyring, a, pa)).toBe(internal);
        if (a !== b) {
          expect(toAgencyPseudonym(keyring, b, internal)).not.toBe(pa);
          expect(fromAgencyPseudonym(keyring, b, pa)).toBeNull();
        }
      }),
    );
  });

  it('never contains the client id', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z0-9]{8,12}$/), (clientId) => {
        const internal = toInternalId(keyring, clientId);
        expect(internal).not.toContain(clientId);
        expect(toAgencyPseudonym(keyring, 'ca.esdc', internal)).not.toContain(clientId);
      }),
    );
  });

  it('treats formatting differences of one client id as the same person', () => {
    expect(toInternalId(keyring, ' 1234-5678 ')).toBe(toInternalId(keyring, '12345678'));
  });

  it('refuses guessed, truncated and bit-flipped pseudonyms', () => {
    const p = toAgencyPseudonym(keyring, 'ca.esdc', toInternalId(keyring, 'UCI-1'));
    fc.assert(
      fc.property(fc.integer({ min: 3, max: p.length - 1 }), fc.constantFrom('A', 'B', '-', '_'), (i, c) => {
        const mutated = p.slice(0, i) + c + p.slice(i + 1);
        if (mutated !== p) expect(fromAgencyPseudonym(keyring, 'ca.esdc', mutated)).toBeNull();
      }),
    );
    expect(fromAgencyPseudonym(keyring, 'ca.esdc', p.slice(0, -1))).toBeNull();
    expect(fromAgencyPseudonym(keyring, 'ca.esdc', 'p1_' + 'A'.repeat(59))).toBeNull();
    expect(fromAgencyPseudonym(keyring, 'ca.esdc', "' OR 1=1 --")).toBeNull();
  });

  it('one claimant, one spelling: a pseudonym is accepted only as the gateway wrote it', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(clientIds, fc.constantFrom(...agencies), fc.integer({ min: 1, max: 3 }), (clientId, agency, bump) => {
        const internal = toInternalId(keyring, clientId);
        const p = toAgencyPseudonym(keyring, agency, internal);
        expect(fromAgencyPseudonym(keyring, agency, p)).toBe(internal);
        // The last character carries 4 data bits and 2 bits the decoder ignores: the other 3 spellings decode to the same bytes.
        const last = alphabet.indexOf(p[p.length - 1]);
        const variant = p.slice(0, -1) + alphabet[(last & ~3) | ((last + bump) & 3)];
        expect(Buffer.from(variant.slice(3), 'base64url')).toEqual(Buffer.from(p.slice(3), 'base64url'));
        expect(fromAgencyPseudonym(keyring, agency, variant)).toBeNull();
        // Padding, a leading zero in the version, a trailing extra character: refused too.
        expect(fromAgencyPseudonym(keyring, agency, `${p}=`)).toBeNull();
        expect(fromAgencyPseudonym(keyring, agency, p.replace(/^p1_/, 'p01_'))).toBeNull();
        expect(fromAgencyPseudonym(keyring, agency, `${p}A`)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it('keeps translating old pseudonyms after a key rotation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-keys-'));
    try {
      const before = await loadPseudonymKeyring(dir);
      expect(fs.statSync(path.join(dir, 'pseudonym-keys.json')).mode & 0o777).toBe(0o600);
      const internal = toInternalId(before, 'UCI-42');
      const old = toAgencyPseudonym(before, 'qc.mifi', internal);
      expect(await rotatePseudonymKeys(dir)).toBe(2);
      const after = await loadPseudonymKeyring(dir);
      expect(toInternalId(after, 'UCI-42')).toBe(internal);
      const fresh = toAgencyPseudonym(after, 'qc.mifi', internal);
      expect(fresh).toMatch(/^p2_/);
      expect(fromAgencyPseudonym(after, 'qc.mifi', old)).toBe(internal);
      expect(fromAgencyPseudonym(after, 'qc.mifi', fresh)).toBe(internal);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
