import fc from 'fast-check';
import { CompactRange } from './compact-range';
import { emptyRoot, leafHash, nodeHash, type Hash } from './hash';
import { consistencyProof, inclusionProof, rootHash, verifyConsistency, verifyInclusion } from './reference';
import { mapNodeReader, nodeKeyString, storedConsistencyProof, storedInclusionProof, storedRootHash, type NodeReader } from './stored-nodes';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Buffer.from(s, 'hex');

// RFC 6962 test data as published by Certificate Transparency (transparency-dev/merkle testonly).
const CT_DATA = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex);
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION = [
  { index: 0, size: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, proof: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
];
const CT_CONSISTENCY = [
  { first: 2, second: 8, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { first: 6, second: 8, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { first: 2, second: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
];
const CT_LEAVES = CT_DATA.map((d) => leafHash(d));

/** A log of `n` synthetic leaves, its stored nodes (as the ledger writes them) and a counting reader. */
function buildLog(n: number) {
  const leaves: Hash[] = [];
  const nodes = new Map<string, Hash>();
  const range = CompactRange.empty();
  for (let i = 0; i < n; i++) {
    const leaf = leafHash(`entry ${i}`);
    leaves.push(leaf);
    for (const c of range.append(leaf)) nodes.set(nodeKeyString(c), c.hash);
  }
  let reads = 0;
  let calls = 0;
  const inner = mapNodeReader(nodes);
  const read: NodeReader = async (keys) => {
    calls++;
    reads += keys.length;
    return inner(keys);
  };
  return { leaves, nodes, range, read, stats: () => ({ reads, calls }), reset: () => ((reads = 0), (calls = 0)) };
}

const MAX = 300;
const log = buildLog(MAX);
const roots = [emptyRoot(), ...Array.from({ length: MAX }, (_, i) => rootHash(log.leaves.slice(0, i + 1)))];

describe('RFC 9162 hashing against the Certificate Transparency vectors', () => {
  it('hashes leaves with a 0x00 prefix and nodes with a 0x01 prefix', () => {
    expect(hex(leafHash(Buffer.alloc(0)))).toBe(CT_ROOTS[0]);
    expect(hex(nodeHash(CT_LEAVES[0], CT_LEAVES[1]))).toBe(CT_ROOTS[1]);
    expect(hex(emptyRoot())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('gives the published root for every size 1..8, by reference, stored nodes and compact range', async () => {
    const nodes = new Map<string, Hash>();
    const range = CompactRange.empty();
    for (let n = 1; n <= 8; n++) {
      for (const c of range.append(CT_LEAVES[n - 1])) nodes.set(nodeKeyString(c), c.hash);
      expect(hex(rootHash(CT_LEAVES.slice(0, n)))).toBe(CT_ROOTS[n - 1]);
      expect(hex(range.root())).toBe(CT_ROOTS[n - 1]);
      expect(hex(await storedRootHash(n, mapNodeReader(nodes)))).toBe(CT_ROOTS[n - 1]);
    }
  });

  it.each(CT_INCLUSION)('gives and verifies the published inclusion proof of leaf $index in $size', ({ index, size, proof }) => {
    expect(inclusionProof(index, CT_LEAVES.slice(0, size)).map(hex)).toEqual(proof);
    expect(verifyInclusion(CT_LEAVES[index], index, size, proof.map(unhex), unhex(CT_ROOTS[size - 1]))).toBe(true);
  });

  it.each(CT_CONSISTENCY)('gives and verifies the published consistency proof $first → $second', ({ first, second, proof }) => {
    expect(consistencyProof(first, CT_LEAVES.slice(0, second)).map(hex)).toEqual(proof);
    expect(verifyConsistency(first, second, unhex(CT_ROOTS[first - 1]), unhex(CT_ROOTS[second - 1]), proof.map(unhex))).toBe(true);
  });
});

describe('stored-node trees against the reference definitions, every size 1..300', () => {
  it('computes every root from stored nodes in at most log2(n)+1 reads, one batch', async () => {
    for (let n = 1; n <= MAX; n++) {
      log.reset();
      expect(hex(await storedRootHash(n, log.read))).toBe(hex(roots[n]));
      expect(log.stats().calls).toBe(1);
      expect(log.stats().reads).toBeLessThanOrEqual(Math.floor(Math.log2(n)) + 1);
    }
  });

  it('compact range peaks reload to the same root and continue identically', () => {
    for (let n = 0; n <= MAX; n += 7) {
      const r = CompactRange.empty();
      log.leaves.slice(0, n).forEach((l) => r.append(l));
      const again = CompactRange.fromPeaks(n, r.getPeaks());
      expect(hex(again.root())).toBe(hex(roots[n]));
      const pushed = CompactRange.empty();
      log.leaves.slice(0, n).forEach((l) => pushed.push(l));
      expect(hex(pushed.root())).toBe(hex(roots[n]));
      if (n < MAX) {
        again.append(log.leaves[n]);
        expect(hex(again.root())).toBe(hex(roots[n + 1]));
      }
    }
  });

  it('stores at most log2(n)+1 nodes per appended leaf and every stored node is the MTH of its leaves', () => {
    const r = CompactRange.empty();
    for (let i = 0; i < MAX; i++) {
      const done = r.append(log.leaves[i]);
      expect(done.length).toBeLessThanOrEqual(Math.floor(Math.log2(i + 1)) + 1);
      for (const c of done) {
        const width = 2 ** c.level;
        expect(hex(c.hash)).toBe(hex(rootHash(log.leaves.slice(c.index * width, (c.index + 1) * width))));
      }
    }
  });

  it('gives the reference inclusion proof for every leaf of every size, and it verifies', async () => {
    for (let n = 1; n <= MAX; n++) {
      const leaves = log.leaves.slice(0, n);
      // every index for small trees, a sample (ends + strides) beyond
      const indexes = n <= 64 ? [...Array(n).keys()] : [0, 1, n - 2, n - 1, Math.floor(n / 2), ...Array.from({ length: 6 }, (_, j) => (j * 37 + n) % n)];
      for (const i of indexes) {
        const ref = inclusionProof(i, leaves);
        log.reset();
        const stored = await storedInclusionProof(i, n, log.read);
        expect(stored.map(hex)).toEqual(ref.map(hex));
        expect(log.stats().calls).toBeLessThanOrEqual(1);
        expect(verifyInclusion(leaves[i], i, n, stored, roots[n])).toBe(true);
      }
    }
  });

  it('gives the reference consistency proof for pairs ending at every size, and it verifies', async () => {
    for (let n = 1; n <= MAX; n++) {
      const leaves = log.leaves.slice(0, n);
      const firsts = n <= 40 ? [...Array(n).keys()].map((m) => m + 1) : [1, 2, n - 1, n, Math.floor(n / 3), 64, 128, 256].filter((m) => m >= 1 && m <= n);
      for (const m of firsts) {
        const ref = consistencyProof(m, leaves);
        log.reset();
        const stored = await storedConsistencyProof(m, n, log.read);
        expect(stored.map(hex)).toEqual(ref.map(hex));
        expect(log.stats().calls).toBeLessThanOrEqual(1);
        expect(verifyConsistency(m, n, roots[m], roots[n], stored)).toBe(true);
      }
    }
  });
});

describe('properties (fast-check)', () => {
  const pair = fc.integer({ min: 1, max: MAX }).chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n)));
  const indexIn = fc.integer({ min: 1, max: MAX }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constant(n)));

  it('stored inclusion proofs equal the reference and verify; any other index or root fails', async () => {
    await fc.assert(
      fc.asyncProperty(indexIn, fc.integer({ min: 0, max: MAX }), async ([i, n], other) => {
        const proof = await storedInclusionProof(i, n, log.read);
        expect(proof.map(hex)).toEqual(inclusionProof(i, log.leaves.slice(0, n)).map(hex));
        expect(verifyInclusion(log.leaves[i], i, n, proof, roots[n])).toBe(true);
        if (other !== i && other < n && n > 1) expect(verifyInclusion(log.leaves[i], other, n, proof, roots[n])).toBe(false);
        if (other !== n && other >= 1) expect(verifyInclusion(log.leaves[i], i, n, proof, roots[other])).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('stored consistency proofs equal the reference and verify; a wrong first root fails', async () => {
    await fc.assert(
      fc.asyncProperty(pair, fc.integer({ min: 1, max: MAX }), async ([m, n], other) => {
        const proof = await storedConsistencyProof(m, n, log.read);
        expect(proof.map(hex)).toEqual(consistencyProof(m, log.leaves.slice(0, n)).map(hex));
        expect(verifyConsistency(m, n, roots[m], roots[n], proof)).toBe(true);
        if (other !== m) expect(verifyConsistency(m, n, roots[other], roots[n], proof)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('a proof with any one hash altered, dropped or added never verifies', () => {
    fc.assert(
      fc.property(pair, fc.nat(), fc.integer({ min: 0, max: 31 }), fc.constantFrom('flip', 'drop', 'add'), ([m, n], at, byte, how) => {
        const proof = consistencyProof(m, log.leaves.slice(0, n));
        const mangled = mangle(proof, at, byte, how);
        if (mangled) expect(verifyConsistency(m, n, roots[m], roots[n], mangled)).toBe(false);
        const i = at % n;
        const path = inclusionProof(i, log.leaves.slice(0, n));
        const badPath = mangle(path, at, byte, how);
        if (badPath) expect(verifyInclusion(log.leaves[i], i, n, badPath, roots[n])).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects impossible parameters', () => {
    expect(verifyInclusion(log.leaves[0], 1, 1, [], roots[1])).toBe(false);
    expect(verifyInclusion(log.leaves[0], -1, 1, [], roots[1])).toBe(false);
    expect(verifyConsistency(0, 5, emptyRoot(), roots[5], [])).toBe(false);
    expect(verifyConsistency(6, 5, roots[6], roots[5], [])).toBe(false);
    expect(verifyConsistency(5, 5, roots[5], roots[5], [])).toBe(true);
    expect(verifyConsistency(5, 5, roots[5], roots[6], [])).toBe(false);
    expect(verifyConsistency(5, 6, roots[5], roots[6], [])).toBe(false);
    expect(() => inclusionProof(3, log.leaves.slice(0, 3))).toThrow(RangeError);
    expect(() => consistencyProof(0, log.leaves.slice(0, 3))).toThrow(RangeError);
    return expect(storedInclusionProof(5, 5, log.read)).rejects.toThrow('outside a tree of 5 leaves');
  });
});

function mangle(proof: Hash[], at: number, byte: number, how: 'flip' | 'drop' | 'add'): Hash[] | undefined {
  if (how === 'add') return [...proof, leafHash('extra')];
  if (proof.length === 0) return undefined;
  const i = at % proof.length;
  if (how === 'drop') return proof.filter((_, j) => j !== i);
  const copy = proof.map((p) => Buffer.from(p));
  copy[i][byte] ^= 0x01;
  return copy;
}
