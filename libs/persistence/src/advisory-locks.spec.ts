import { ADVISORY_LOCKS, LEDGER_CHAIN_LOCK_CLASS } from './advisory-locks';

describe('advisory lock keys', () => {
  it('no two jobs share an advisory lock: every single key differs', () => {
    const keys = Object.values(ADVISORY_LOCKS);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('every key fits the key space PostgreSQL gives it (bigint for one key, int4 for a pair)', () => {
    for (const key of Object.values(ADVISORY_LOCKS)) expect(Number.isSafeInteger(key)).toBe(true);
    expect(LEDGER_CHAIN_LOCK_CLASS).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(Number.isInteger(LEDGER_CHAIN_LOCK_CLASS)).toBe(true);
  });
});
