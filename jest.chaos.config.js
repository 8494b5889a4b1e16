/**
 * `npm run test:chaos`: fault injection against the real built apps, PostgreSQL and Kafka
 * (test/chaos/**\/*.chaos-spec.ts). Not part of `npm test`; .ci/run calls it after. Same
 * transforms as the e2e project; files run one at a time (they kill and freeze processes).
 */
const base = require('./jest.config.js');
const e2e = base.projects.find((p) => p.displayName === 'e2e');

module.exports = {
  testTimeout: 300000,
  slowTestThreshold: 120,
  maxWorkers: 1,
  projects: [{ ...e2e, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'] }],
};
