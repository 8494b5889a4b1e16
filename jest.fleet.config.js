/**
 * `npm run test:fleet`: fleet fault tests not yet shown reliable enough for CI
 * (test/fleet/**\/*.fleet-spec.ts). Today: one broker of three killed under publish load. Its
 * losses (1 run in 5) were kafkajs acknowledging unwritten events, fixed in createReliableProducer
 * (docs/scaling.md); it moves to the chaos suite once it has passed 5 runs in a row, which the
 * shared two-core box could not show (the three controllers did not form a quorum in 5 min).
 * Same transforms as the chaos suite; files run one at a time.
 */
const chaos = require('./jest.chaos.config.js');

module.exports = {
  ...chaos,
  projects: [{ ...chaos.projects[0], displayName: 'fleet', testMatch: ['<rootDir>/test/fleet/**/*.fleet-spec.ts'] }],
};
