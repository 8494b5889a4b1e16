import { appendSignatures, cosigner, ed25519Signer, formatVkey, generateKeyPair, NoteFormatError, parseNote, signCheckpoint, SIG_COSIGNATURE_V1, SIG_ED25519 } from '@passerelle/checkpoint';
import fc from 'fast-check';
import { formatPolicy, parsePolicy, PolicyError, requirePolicy, satisfied, type WitnessPolicy } from './policy';

const names = ['qc.cai', 'ca.opc', 'on.ipc', 'bc.oipc'];
const keys = Object.fromEntries(names.map((n) => [n, generateKeyPair(n, SIG_COSIGNATURE_V1)]));
const vkeys = Object.fromEntries(names.map((n) => [n, formatVkey(n, SIG_COSIGNATURE_V1, keys[n].publicKey)]));
const log = ed25519Signer(generateKeyPair('passerelle.example/ledger', SIG_ED25519));
const checkpoint = signCheckpoint({ origin: 'passerelle.example/ledger', size: 10, rootHash: Buffer.alloc(32, 3), extensions: [] }, [log]);
const cosignedBy = (...who: string[]) => appendSignatures(checkpoint, who.map((n) => cosigner(keys[n]).cosign(parseNote(checkpoint).text, 1_800_000_000)));

describe('witness policy', () => {
  it('parses "2 of {qc.cai, ca.opc, on.ipc}" and nested, all/any groups', () => {
    expect(parsePolicy('2 of {qc.cai, ca.opc, on.ipc}')).toEqual({ threshold: 2, of: [{ witness: 'qc.cai' }, { witness: 'ca.opc' }, { witness: 'on.ipc' }] });
    expect(parsePolicy('all of { qc.cai , 1 of {ca.opc,on.ipc} }')).toEqual({ threshold: 2, of: [{ witness: 'qc.cai' }, { threshold: 1, of: [{ witness: 'ca.opc' }, { witness: 'on.ipc' }] }] });
    expect(parsePolicy('any of {qc.cai}')).toEqual({ threshold: 1, of: [{ witness: 'qc.cai' }] });
    expect(parsePolicy('qc.cai')).toEqual({ witness: 'qc.cai' });
  });

  it.each([
    ['', 'expected'],
    ['2 of {qc.cai}', 'can never be met'],
    ['0 of {qc.cai}', 'not a quorum'],
    ['two of {qc.cai, ca.opc}', 'not a quorum'],
    ['2 of {qc.cai, qc.cai}', 'appears twice'],
    ['2 of {qc.cai, ca.opc', 'expected "}"'],
    ['2 of qc.cai, ca.opc}', 'expected "{"'],
    ['qc.cai ca.opc', 'unexpected "ca.opc"'],
    ['1 of {}', 'unexpected "}"'],
  ])('refuses %j naming the problem', (text, message) => {
    expect(() => parsePolicy(text)).toThrow(PolicyError);
    expect(() => parsePolicy(text)).toThrow(message);
  });

  it('is satisfied by a quorum of valid cosignatures, and names the missing witnesses otherwise', () => {
    const p = parsePolicy('2 of {qc.cai, ca.opc, on.ipc}');
    expect(satisfied(cosignedBy('qc.cai', 'on.ipc'), p, vkeys)).toEqual({ satisfied: true, cosigned: ['on.ipc', 'qc.cai'], missing: [] });
    expect(satisfied(cosignedBy('qc.cai'), p, vkeys)).toEqual({ satisfied: false, cosigned: ['qc.cai'], missing: ['ca.opc', 'on.ipc'] });
    expect(satisfied(checkpoint, p, vkeys).missing).toEqual(['ca.opc', 'on.ipc', 'qc.cai']);
    expect(() => requirePolicy(cosignedBy('ca.opc'), p, vkeys)).toThrow('missing: on.ipc, qc.cai');
  });

  it('names only the witnesses of the groups still unmet', () => {
    const p = parsePolicy('all of {qc.cai, 1 of {ca.opc, on.ipc}}');
    expect(satisfied(cosignedBy('on.ipc'), p, vkeys).missing).toEqual(['qc.cai']);
    expect(satisfied(cosignedBy('qc.cai'), p, vkeys).missing).toEqual(['ca.opc', 'on.ipc']);
  });

  it('ignores a cosignature from an unknown key with a known name, and refuses one that fails to verify', () => {
    const impostor = generateKeyPair('ca.opc', SIG_COSIGNATURE_V1);
    const fake = appendSignatures(checkpoint, [cosigner(impostor).cosign(parseNote(checkpoint).text, 1)]);
    expect(satisfied(fake, parsePolicy('ca.opc'), vkeys).satisfied).toBe(false);
    const other = signCheckpoint({ origin: 'passerelle.example/ledger', size: 10, rootHash: Buffer.alloc(32, 4), extensions: [] }, [log]);
    const moved = appendSignatures(other, [cosigner(keys['ca.opc']).cosign(parseNote(checkpoint).text, 1)]);
    expect(() => satisfied(moved, parsePolicy('ca.opc'), vkeys)).toThrow(NoteFormatError);
    expect(() => satisfied(moved, parsePolicy('ca.opc'), vkeys)).toThrow('ca.opc');
  });

  it('refuses a policy naming a witness without a configured key, or a key of the wrong type', () => {
    expect(() => satisfied(checkpoint, parsePolicy('1 of {nb.ombud}'), vkeys)).toThrow('nb.ombud, whose key is not configured');
    const wrong = { 'qc.cai': formatVkey('qc.cai', SIG_ED25519, keys['qc.cai'].publicKey) };
    expect(() => satisfied(checkpoint, parsePolicy('qc.cai'), wrong)).toThrow('not a cosignature/v1 key');
  });

  it('property: satisfied ⇔ the quorum holds over the cosigners present; missing is empty iff satisfied', () => {
    const policy: fc.Arbitrary<WitnessPolicy> = fc.letrec<{ p: WitnessPolicy }>((tie) => ({
      p: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom(...names).map((w) => ({ witness: w })),
        fc
          .uniqueArray(tie('p'), { minLength: 1, maxLength: 3, selector: (x) => formatPolicy(x) })
          .filter((of) => new Set(of.filter((x) => 'witness' in x).map(formatPolicy)).size === of.filter((x) => 'witness' in x).length)
          .chain((of) => fc.integer({ min: 1, max: of.length }).map((threshold) => ({ threshold, of }))),
      ),
    })).p;
    const evalP = (p: WitnessPolicy, present: Set<string>): boolean => ('witness' in p ? present.has(p.witness) : p.of.filter((c) => evalP(c, present)).length >= p.threshold);
    fc.assert(
      fc.property(policy, fc.subarray(names), (p, present) => {
        const parsed = parsePolicy(formatPolicy(p));
        expect(parsed).toEqual(p);
        const r = satisfied(cosignedBy(...present), parsed, vkeys);
        expect(r.satisfied).toBe(evalP(p, new Set(present)));
        expect(r.missing.length === 0).toBe(r.satisfied);
        // adding every missing witness always satisfies the policy
        if (!r.satisfied) expect(evalP(p, new Set([...present, ...r.missing]))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
