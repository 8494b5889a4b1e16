#!/usr/bin/env node
/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): the top frames by self time, and the top
 * node_modules packages / app areas by self time. Used to write the explanations in bench/notes.md.
 *
 *   node bench/prof-top.js FILE.cpuprofile [--top 25]
 */
'use strict';
const fs = require('node:fs');

const file = process.argv[2];
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 25;
const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  self.set(id, (self.get(id) || 0) + (dt[i] || 0));
}
// Percentages are of BUSY time (idle excluded): a server profiled across a whole bench run is
// idle while the other servers are measured.
const idleIds = new Set(prof.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
const total = [...self].filter(([id]) => !idleIds.has(id)).reduce((a, [, b]) => a + b, 0);
// Inclusive time of frames whose name matches --incl REGEX (each sample counted once per name).
const inclRe = process.argv.includes('--incl') ? new RegExp(process.argv[process.argv.indexOf('--incl') + 1]) : null;
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children || []) parent.set(c, n.id);
const frames = new Map();
const areas = new Map();
const incl = new Map();
for (const [id, us] of self) {
  if (idleIds.has(id)) continue;
  if (inclRe) {
    const seen = new Set();
    for (let p = id; p !== undefined; p = parent.get(p)) {
      const f = byId.get(p).callFrame;
      const name = `${f.functionName || '(anonymous)'} ${(f.url || '').replace(/^.*node_modules\//, 'nm/').replace(/^.*\/dist\//, 'dist/')}`;
      if (inclRe.test(name) && !seen.has(name)) {
        seen.add(name);
        incl.set(name, (incl.get(name) || 0) + us);
      }
    }
  }
  const n = byId.get(id);
  const cf = n.callFrame;
  const url = cf.url || '';
  const key = `${cf.functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, 'nm/').replace(/^file:\/\//, '').replace(/^.*\/dist\//, 'dist/')}:${cf.lineNumber + 1}`;
  frames.set(key, (frames.get(key) || 0) + us);
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  const area = m ? m[1] : url.includes('/dist/') ? 'app bundle (dist)' : url.startsWith('node:') ? url : cf.functionName.startsWith('(') ? cf.functionName : url ? 'other js' : '(native/builtin)';
  areas.set(area, (areas.get(area) || 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1)}%`;
console.log(`busy ${(total / 1e6).toFixed(2)} s (percentages below are of busy time)`);
console.log('\nby area:');
for (const [k, v] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(v).padStart(6)}  ${k}`);
console.log('\ntop frames (self):');
for (const [k, v] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v).padStart(6)}  ${k}`);
if (inclRe) {
  console.log('\ninclusive (matching --incl):');
  for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v).padStart(6)}  ${k}`);
}
