'use strict';
/**
 * `npm test`: starts PostgreSQL and Kafka where the environment names none, builds the apps
 * (end-to-end suites run the built processes), then runs every jest project.
 * Extra arguments go to jest, e.g. `npm test -- test/ledger`.
 */
const { spawn, execFileSync } = require('node:child_process');
const path = require('node:path');
const { ensureServices, databaseLoginsEnv } = require('./services');

async function main() {
  const root = path.join(__dirname, '..');
  const t0 = Date.now();
  const services = await ensureServices({ pgPort: 54339, kafkaPort: 19192 });
  for (const s of services.started) console.log(`test services: ${s}`);
  let code = 1;
  try {
    execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit', cwd: root });
    console.log(`test services and build ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
    const resultsFile = path.join(require('node:os').tmpdir(), `passerelle-jest-${process.pid}.json`);
    const args = [jest, '--ci', '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)];
    const logins = await databaseLoginsEnv(services);
    const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...services.env, ...logins } });
    const stop = () => child.kill('SIGINT');
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    code = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
    try {
      const r = JSON.parse(require('node:fs').readFileSync(resultsFile, 'utf8'));
      // The plain closing line CI reads, whatever the runner.
      console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
      if (r.numTotalTests === 0) code = code || 1;
    } catch {
      console.log('tests: 0 passed, 1 failed');
      code = code || 1;
    }
  } finally {
    await services.stop();
  }
  process.exit(code);
}

main().catch((e) => {
  console.error(`npm test: ${e.message}`);
  process.exit(1);
});
