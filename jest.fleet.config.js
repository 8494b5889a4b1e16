/**
 * `npm run test:fleet`: fleet fault tests that are not yet reliable enough for CI
 * (test/fleet/**\/*.fleet-spec.ts). Today: one broker of three killed under publish load, which
 * failed 1 run in 5 (kafkajs can acknowledge a multi-partition send that a leader change cut
 * short, kafkajs#1303; the one-partition-per-send workaround still failed once, cause unknown).
 * Same transforms as the chaos suite; files run one at a time.
 */
const chaos = require('./jest.chaos.config.js');

module.exports = {
  ...chaos,
  projects: [{ ...chaos.projects[0], displayName: 'fleet', testMatch: ['<rootDir>/test/fleet/**/*.fleet-spec.ts'] }],
};
