/**
 * Every PostgreSQL advisory lock Passerelle takes, in one place, so that no two jobs ever share a
 * key by accident (advisory-locks.spec.ts checks they differ).
 *
 * PostgreSQL keeps two separate key spaces: one bigint key (`pg_advisory_lock(bigint)`) and a pair
 * of int4 keys (`pg_advisory_lock(int, int)`); a single key never meets a pair. The per-grant locks
 * of the consents repository use `hashtextextended(…, 14)` in the single-key space: a 64-bit hash,
 * so meeting one of the fixed keys below is as likely as a random 64-bit collision.
 */
export const ADVISORY_LOCKS = {
  /** Session lock: serialises migration runs of several processes on one database. */
  migrations: 8_724_112_001,
  /** Session lock on its own connection: its holder is THE ledger writer of a database. */
  ledgerWriter: 8_724_112_006,
  /** Transaction lock: one consent-outbox relay publishes at a time. */
  consentOutboxRelay: 8_724_112_061,
  /** Transaction lock: one program-outbox relay (gateway) publishes at a time. */
  programOutboxRelay: 8_724_112_171,
  /** Transaction lock: one referral-outbox relay (gateway) publishes at a time. */
  referralOutboxRelay: 8_724_112_016,
} as const;

/**
 * First key of the pair-key locks that chain the ledger writer's pipelined batch transactions
 * (the second key is the batch number): `pg_advisory_xact_lock(LEDGER_CHAIN_LOCK_CLASS, batch)`.
 */
export const LEDGER_CHAIN_LOCK_CLASS = 872_411;
