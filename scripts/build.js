'use strict';
/**
 * Builds every app to dist/apps/<app>/main.js with the Nest CLI (rspack), and the operator console
 * to dist/console/. A full build is skipped when dist/ already is the build of the sources on disk
 * for this Node.js (scripts/build-stamp.js); PASSERELLE_REBUILD=1 builds anyway. Naming apps
 * (`node scripts/build.js gateway`) always builds them, and leaves dist/ unstamped.
 */
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { buildInputsDigest, buildIsCurrent, writeStamp, removeStamp } = require('./build-stamp');

const apps = ['gateway', 'consent-audit', 'job-match-consumer', 'cli'];
const root = path.join(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const only = process.argv.slice(2);

function buildApps(list) {
  removeStamp(root);
  for (const app of list) execFileSync(bin('nest'), ['build', app], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  console.log(`built ${list.join(', ')} into dist/apps/`);
}

if (only.length) {
  buildApps(only);
  process.exit(0);
}

const digest = buildInputsDigest(root);
if (process.env.PASSERELLE_REBUILD !== '1' && buildIsCurrent(root, apps, digest)) {
  console.log(`dist/ is already the build of these sources (stamp ${digest.slice(0, 12)}; PASSERELLE_REBUILD=1 builds anyway)`);
  process.exit(0);
}
buildApps(apps);
// The operator console (a Vite bundle served by the gateway at /console): same as `npm run console:build`.
execFileSync(bin('tsc'), ['-p', 'apps/console/tsconfig.json', '--noEmit'], { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
execFileSync(bin('vite'), ['build', '--config', 'apps/console/vite.config.mts'], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
console.log('built the operator console into dist/console/');
writeStamp(root, digest);
