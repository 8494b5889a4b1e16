'use strict';
/** Builds every app to dist/apps/<app>/main.js with the Nest CLI (rspack). */
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const apps = ['gateway', 'consent-audit', 'job-match-consumer', 'cli'];
const nest = path.join(__dirname, '..', 'node_modules', '.bin', 'nest');
const only = process.argv.slice(2);
for (const app of only.length ? only : apps) {
  execFileSync(nest, ['build', app], { stdio: ['ignore', 'ignore', 'inherit'], cwd: path.join(__dirname, '..') });
}
console.log(`built ${only.length ? only.join(', ') : apps.join(', ')} into dist/apps/`);
// The operator console (a Vite bundle served by the gateway at /console): same as `npm run console:build`.
if (!only.length) {
  const bin = (name) => path.join(__dirname, '..', 'node_modules', '.bin', name);
  const root = path.join(__dirname, '..');
  execFileSync(bin('tsc'), ['-p', 'apps/console/tsconfig.json', '--noEmit'], { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
  execFileSync(bin('vite'), ['build', '--config', 'apps/console/vite.config.mts'], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  console.log('built the operator console into dist/console/');
}
