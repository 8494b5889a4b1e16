import fc from 'fast-check';
import { canonicalize } from 'json-canonicalize';
import { canonicalText } from './canonical-text';

/** A ledger entry as the gateway serves it (its members in any order here; JCS sorts them). */
const entry = (seq: number) => ({ seq, time: '2026-01-01T00:00:00.000Z', agency: 'ca.esdc', kid: 'k', jti: `j${seq}`, purpose: 'JOB_MATCHING', operation: 'graphql:claimant', decision: 'PERMIT', reason: 'ok', subjects: [], fields: ['province'], request_sha256: '', response_sha256: '', request_id: `r${seq}` });

describe('canonicalText', () => {
  it('is exactly canonicalize(value) for any JSON value, keys in order or not (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalText(v)).toBe(canonicalize(v));
        const reparsed = JSON.parse(canonicalize(v));
        expect(canonicalText(reparsed)).toBe(canonicalize(v));
      }),
      { numRuns: 500 },
    );
  });

  it('takes the JSON.stringify path only for entries already in JCS order', () => {
    const e = JSON.parse(canonicalize(entry(7)));
    expect(canonicalText(e)).toBe(JSON.stringify(e));
    const shuffled = { seq: 7, ...e };
    expect(canonicalText(shuffled)).toBe(canonicalize(e));
    expect(canonicalText({ b: 1, a: [3, { d: 1, c: 2 }] })).toBe('{"a":[3,{"c":2,"d":1}],"b":1}');
    expect(canonicalText({ 10: 'x', 9: 'y' })).toBe('{"10":"x","9":"y"}');
    expect(canonicalText({ a: [1, , 2] })).toBe(canonicalize({ a: [1, , 2] })); // eslint-disable-line no-sparse-arrays
    expect(() => canonicalText({ a: Infinity })).toThrow();
  });
});
