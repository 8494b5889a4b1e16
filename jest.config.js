/** Unit tests beside the code; end-to-end suites in test/ against real PostgreSQL and Kafka. */
const fs = require('node:fs');
const os = require('node:os');
const swcrc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swcrc.$schema;
const transform = { '^.+\\.(t|j)s$': ['@swc/jest', { ...swcrc, swcrc: false }] };
// NestJS 12 ships ES modules only; jest's CommonJS runtime needs them (and their ESM-only
// dependencies) transformed like our own sources.
const transformIgnorePatterns = ['/node_modules/(?!(@nestjs|uid|load-esm|file-type|token-types|strtok3|@tokenizer|peek-readable|@borewit|iterare|content-disposition)/)'];
const moduleNameMapper = { '^@passerelle/([a-z-]+)$': '<rootDir>/libs/$1/src' };

module.exports = {
  // e2e suites start real processes; jest reads the timeout only at the top level, not per project.
  testTimeout: 120000,
  // Two workers even on two cores (jest's default there is one): the end-to-end suites mostly wait
  // on the processes they start, so two at once take the suite from ≈ 773 s to ≈ 550 s here. Every
  // suite has its own database, topics and ports; the chaos suites keep one worker (their config).
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
  slowTestThreshold: 30,
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts', '<rootDir>/scripts/**/*.spec.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
    },
  ],
};
