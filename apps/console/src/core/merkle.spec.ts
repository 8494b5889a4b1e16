import { consistencyProof, inclusionProof, leafHash as refLeafHash, rootHash } from '@passerelle/merkle';
import { canonicalize } from 'json-canonicalize';
import { b64url, fromB64url } from './bytes';
import { entryLeafHash, verifyConsistency, verifyInclusion } from './merkle';

/** Leaves of an n-entry ledger, hashed by the server's reference implementation. */
function leaves(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => refLeafHash(canonicalize({ seq: i, agency: 'ca.esdc', decision: i % 3 ? 'PERMIT' : 'DENY' })));
}

const flip = (h: Uint8Array) => {
  const c = Uint8Array.from(h);
  c[0] ^= 1;
  return c;
};

describe('RFC 9162 verification in the console', () => {
  it('accepts every inclusion proof the reference tree produces (sizes 1–40)', async () => {
    for (let n = 1; n <= 40; n++) {
      const ls = leaves(n);
      const root = rootHash(ls);
      for (let i = 0; i < n; i++) {
        await expect(verifyInclusion(i, n, ls[i], inclusionProof(i, ls), root)).resolves.toBe(true);
      }
    }
  });

  it('refuses an inclusion proof with a wrong leaf, index, size, root or path', async () => {
    const ls = leaves(13);
    const root = rootHash(ls);
    const path = inclusionProof(5, ls);
    expect(await verifyInclusion(5, 13, ls[6], path, root)).toBe(false);
    expect(await verifyInclusion(4, 13, ls[5], path, root)).toBe(false);
    expect(await verifyInclusion(5, 40, ls[5], path, root)).toBe(false);
    expect(await verifyInclusion(5, 13, ls[5], path, flip(root))).toBe(false);
    expect(await verifyInclusion(5, 13, ls[5], [...path.slice(0, -1), flip(path[path.length - 1])], root)).toBe(false);
    expect(await verifyInclusion(5, 13, ls[5], path.slice(1), root)).toBe(false);
    expect(await verifyInclusion(5, 13, ls[5], [...path, path[0]], root)).toBe(false);
    expect(await verifyInclusion(13, 13, ls[5], path, root)).toBe(false);
  });

  it('accepts every consistency proof the reference tree produces (sizes up to 33)', async () => {
    for (let n = 1; n <= 33; n++) {
      const ls = leaves(n);
      for (let m = 1; m <= n; m++) {
        const proof = m === n ? [] : consistencyProof(m, ls);
        await expect(verifyConsistency(m, n, rootHash(ls.slice(0, m)), rootHash(ls), proof)).resolves.toBe(true);
      }
    }
  });

  it('refuses a consistency proof against a rewritten history', async () => {
    const ls = leaves(21);
    const proof = consistencyProof(8, ls);
    const oldRoot = rootHash(ls.slice(0, 8));
    const forked = [...ls.slice(0, 3), refLeafHash('forged'), ...ls.slice(4)];
    expect(await verifyConsistency(8, 21, oldRoot, rootHash(forked), proof)).toBe(false);
    expect(await verifyConsistency(8, 21, flip(oldRoot), rootHash(ls), proof)).toBe(false);
    expect(await verifyConsistency(8, 21, oldRoot, rootHash(ls), proof.slice(1))).toBe(false);
    expect(await verifyConsistency(8, 21, oldRoot, rootHash(ls), [...proof.slice(0, -1), flip(proof[proof.length - 1])])).toBe(false);
    expect(await verifyConsistency(21, 8, rootHash(ls), oldRoot, proof)).toBe(false);
    expect(await verifyConsistency(8, 8, oldRoot, flip(oldRoot), [])).toBe(false);
  });

  it('hashes an entry as SHA-256(0x00 ‖ JCS(entry)), whatever the key order', async () => {
    const entry = { time: '2026-03-01T10:00:00.000Z', seq: 7, subjects: ['i_ab'], fields: ['province'], agency: 'qc.mifi', note: 'é – 1e21', n: 1e21 };
    const reordered = Object.fromEntries(Object.entries(entry).reverse());
    const expected = refLeafHash(canonicalize(entry));
    expect(b64url(await entryLeafHash(reordered))).toBe(expected.toString('base64url'));
    expect(fromB64url(expected.toString('base64url'))).toEqual(Uint8Array.from(expected));
  });
});
