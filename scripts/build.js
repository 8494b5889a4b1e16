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
