'use strict';
/** Every benchmark, what it measures, and the targets from the issues. */
const higher = (value) => ({ value, better: 'higher' });
const lower = (value) => ({ value, better: 'lower' });

const BENCHES = [
  {
    name: 'limits',
    title: 'Limits of this machine',
    description: 'The ceilings the other figures are read against: signature verifications, hashing, and single-row PostgreSQL commits (one connection, autocommit).',
    targets: {},
  },
  {
    name: 'trust',
    title: 'Cost of trust',
    description: 'The same signed `claimant` read at fixed concurrency through the full gateway (signature, replay check, decision over gRPC, ledger commit, response signature), the same gateway with the trust layer off (bench-only flag), and a bare Fastify + Mercurius server answering from the same table.',
    targets: { fullRps: higher(2000), fullOverBareRps: higher(0.5), fullP99Ms: lower(50) },
  },
  {
    name: 'ledger',
    title: 'Ledger',
    description: 'Appends through consent-audit over gRPC with concurrent callers (group commit), full verification, proof latency by ledger size.',
    targets: { appendsPerSec64: higher(10000), verifyEntriesPerSec: higher(1000000) },
  },
  {
    name: 'kafka-ingest',
    title: 'Kafka ingest',
    description: 'End-to-end job-match events/s from a pre-filled topic (verify, decode, consent, store, audit) beside a bare kafkajs consumer reading the same topic.',
    targets: { endToEndEventsPerSec: higher(20000) },
  },
  {
    name: 'claimants',
    title: 'Claimant records and pseudonyms',
    description: 'Bulk submission in batches of 10,000, pseudonyms derived per second, filtered `claimants` query latency by table size.',
    targets: {},
  },
  {
    name: 'programs',
    title: 'Programs and statistics',
    description: 'Eligibility evaluations per second and a statistics query over a large claimant table.',
    targets: {},
  },
];

module.exports = { BENCHES };
