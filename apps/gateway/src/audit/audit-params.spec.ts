import fc from 'fast-check';
import { AuditBadRequest, consistencyParams, entriesRange, inclusionParams, wholeParam } from './audit-params';

describe('/audit query parameters', () => {
  it('accepts whole numbers written in digits, and nothing else', () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(wholeParam({ x: String(n) }, 'x')).toBe(n);
      }),
    );
    fc.assert(
      fc.property(fc.string().filter((s) => !/^\d{1,16}$/.test(s) || !Number.isSafeInteger(Number(s))), (s) => {
        expect(() => wholeParam({ x: s }, 'x')).toThrow(AuditBadRequest);
      }),
    );
  });

  it.each([
    [() => entriesRange({ end: '5' }), 'query parameter start is required'],
    [() => entriesRange({ start: '-1', end: '5' }), 'query parameter start must be a whole number ≥ 0'],
    [() => entriesRange({ start: '1e3', end: '5' }), 'query parameter start must be a whole number ≥ 0'],
    [() => entriesRange({ start: ['1', '2'], end: '5' }), 'query parameter start is given more than once'],
    [() => entriesRange({ start: '6', end: '5' }), 'query parameter end must not be less than start'],
    [() => entriesRange({ start: '0', end: '1000' }), 'span 1001 entries; at most 1000'],
    [() => inclusionParams({ seq: '5', tree_size: '5' }), 'query parameter tree_size must be greater than seq'],
    [() => inclusionParams({ seq: '5' }), 'query parameter tree_size is required'],
    [() => consistencyParams({ first: '0', second: '5' }), 'query parameter first must be at least 1'],
    [() => consistencyParams({ first: '6', second: '5' }), 'query parameter second must not be less than first'],
    [() => consistencyParams({ first: '99999999999999999', second: '5' }), 'query parameter first must be a whole number'],
  ])('refuses bad parameters (%#)', (parse, message) => {
    expect(parse).toThrow(message);
  });

  it('accepts the contract examples', () => {
    expect(entriesRange({ start: '0', end: '999' })).toEqual({ start: 0, end: 999 });
    expect(inclusionParams({ seq: '3', tree_size: '7' })).toEqual({ seq: 3, treeSize: 7 });
    expect(consistencyParams({ first: '7', second: '7' })).toEqual({ first: 7, second: 7 });
  });
});
