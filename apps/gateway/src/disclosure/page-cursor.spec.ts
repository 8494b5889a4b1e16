import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { canonicalFilter, cursorKeysFrom, openCursor, sealCursor, type CursorBinding } from './page-cursor';

const keys = cursorKeysFrom(randomBytes(32));
const binding: CursorBinding = { operation: 'claimants', agency: 'ca.esdc', purpose: 'JOB_MATCHING', filter: { frenchLevelAtLeast: 5, claimStatus: ['PENDING', 'ACCEPTED'] }, ordering: 'subject asc' };
const position = 'i_AAAAAAAAAAAAAAAAAAAAAA';

describe('page cursors: opaque, authenticated, bound', () => {
  it('opens under the binding it was minted for, whatever the key or set order of the filter', () => {
    const c = sealCursor(keys, binding, position);
    expect(openCursor(keys, binding, c)).toBe(position);
    expect(openCursor(keys, { ...binding, filter: { claimStatus: ['ACCEPTED', 'PENDING'], frenchLevelAtLeast: 5 } }, c)).toBe(position);
  });

  it('reveals nothing: the position is not in the cursor, and two cursors for one position differ', () => {
    const a = sealCursor(keys, binding, position);
    const b = sealCursor(keys, binding, position);
    expect(a).not.toBe(b);
    expect(a).not.toContain('AAAAAAAA');
    expect(Buffer.from(a.split('.')[1], 'base64url').toString('latin1')).not.toContain('i_');
  });

  it.each<[string, Partial<CursorBinding>]>([
    ['another agency', { agency: 'on.mltsd' }],
    ['another purpose', { purpose: 'PROGRAM_ELIGIBILITY' }],
    ['another filter', { filter: { frenchLevelAtLeast: 6, claimStatus: ['PENDING', 'ACCEPTED'] } }],
    ['a filter with a field more', { filter: { frenchLevelAtLeast: 5, claimStatus: ['PENDING', 'ACCEPTED'], province: 'QC' } }],
    ['another ordering', { ordering: 'subject desc' }],
    ['another operation', { operation: 'jobMatches' }],
  ])('refuses a cursor minted for %s', (_name, change) => {
    expect(openCursor(keys, { ...binding, ...change }, sealCursor(keys, binding, position))).toBeNull();
  });

  it('refuses any altered character, another key, and non-cursors', () => {
    const c = sealCursor(keys, binding, position);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: c.length - 1 }), fc.constantFrom('A', 'b', '-', '_', '.', '0'), (i, ch) => {
        const altered = c.slice(0, i) + ch + c.slice(i + 1);
        if (altered !== c) expect(openCursor(keys, binding, altered)).toBeNull();
      }),
    );
    expect(openCursor(cursorKeysFrom(randomBytes(32)), binding, c)).toBeNull();
    for (const junk of ['', 'nonsense', 'k1..', 'c_p1_abc', `k1.${'A'.repeat(40)}.${'A'.repeat(43)}`, 42, null, 'x'.repeat(5000)]) expect(openCursor(keys, binding, junk)).toBeNull();
  });

  it('canonicalises filters: dates as ISO strings, undefined dropped', () => {
    expect(canonicalFilter({ b: undefined, a: new Date('2026-01-01T00:00:00Z') })).toBe('{"a":"2026-01-01T00:00:00.000Z"}');
    expect(canonicalFilter(null)).toBe('{}');
  });
});
