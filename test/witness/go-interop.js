#!/usr/bin/env node
'use strict';
/**
 * Interop: checkpoints and cosignatures made by libs/checkpoint must open with an independent
 * implementation of the C2SP note format, Go's golang.org/x/mod/sumdb/note, and a note signed
 * by Go must open with ours. Needs `go` and the x/mod sources (Debian: apt-get install
 * golang-go golang-golang-x-mod-dev); without them it prints why and exits 0 without checking
 * anything (so it is a separate script, `npm run test:interop`, not part of npm test).
 *
 * Runs the TypeScript sources directly: a require hook compiles libs/checkpoint with @swc/core.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const gopath = process.env.GOPATH_XMOD || '/usr/share/gocode';

// CI passes --require: there a missing toolchain is a failure, never a silent pass.
const required = process.argv.includes('--require');
function skip(reason) {
  console.log(`go-interop: ${required ? 'FAILED' : 'SKIPPED'}, nothing was checked: ${reason}`);
  process.exit(required ? 1 : 0);
}
const go = spawnSync('go', ['version'], { encoding: 'utf8' });
if (go.error || go.status !== 0) skip('the Go toolchain is not installed (apt-get install golang-go)');
if (!fs.existsSync(path.join(gopath, 'src/golang.org/x/mod/sumdb/note/note.go'))) skip(`golang.org/x/mod/sumdb/note is not under ${gopath}/src (apt-get install golang-golang-x-mod-dev)`);

const swc = require(path.join(root, 'node_modules/@swc/core'));
require.extensions['.ts'] = (module, file) => {
  const { code } = swc.transformSync(fs.readFileSync(file, 'utf8'), { filename: file, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
  module._compile(code, file);
};
const cp = require(path.join(root, 'libs/checkpoint/src'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'go-interop-'));
const goEnv = { ...process.env, GO111MODULE: 'off', GOPATH: gopath, GOCACHE: path.join(dir, 'gocache'), GOFLAGS: '' };
const mainGo = path.join(__dirname, 'interop/main.go');
const runGo = (mode) => spawnSync('go', ['run', mainGo, mode, dir], { env: goEnv, encoding: 'utf8' });
let failures = 0;
function check(what, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail.trim()}` : ''}`);
  if (!ok) failures++;
}
console.log(`go-interop: ${go.stdout.trim()}, x/mod from ${gopath}`);

// 1. Our log signature + our witness cosignature (with an extension line and an unknown extra
//    signature, which Go must ignore) open with Go's note.Open.
const log = cp.generateKeyPair('passerelle.example/ledger', cp.SIG_ED25519);
const wit = cp.generateKeyPair('cai.qc.example/witness', cp.SIG_COSIGNATURE_V1);
const stranger = cp.generateKeyPair('stranger.example/k', cp.SIG_ED25519);
const body = cp.formatCheckpoint({ origin: 'passerelle.example/ledger', size: 1234567, rootHash: Buffer.alloc(32, 0xab), extensions: ['regime: LPRPSP'] });
const signed = cp.signNote(body, [cp.ed25519Signer(log), cp.ed25519Signer(stranger)]);
const cosigned = cp.appendSignatures(signed, [cp.cosigner(wit).cosign(body, 1764547200)]);
fs.writeFileSync(path.join(dir, 'log.vkey'), `${cp.formatVkey(log.name, cp.SIG_ED25519, log.publicKey)}\n`);
fs.writeFileSync(path.join(dir, 'witness.vkey'), `${cp.formatVkey(wit.name, cp.SIG_COSIGNATURE_V1, wit.publicKey)}\n`);
fs.writeFileSync(path.join(dir, 'checkpoint.note'), cosigned);
let r = runGo('verify');
check('Go note.Open verifies our checkpoint signature and cosignature/v1', r.status === 0, r.stdout + r.stderr);

// 2. Go must refuse what we would refuse: a cosignature moved onto another checkpoint.
const other = cp.signNote(cp.formatCheckpoint({ origin: 'passerelle.example/ledger', size: 1234567, rootHash: Buffer.alloc(32, 0xcd), extensions: [] }), [cp.ed25519Signer(log)]);
fs.writeFileSync(path.join(dir, 'checkpoint.note'), cp.appendSignatures(other, [cp.cosigner(wit).cosign(body, 1764547200)]));
r = runGo('verify');
check('Go refuses our cosignature moved onto a checkpoint with another root', r.status !== 0 && /invalid signature/.test(r.stderr), r.stderr);

// 3. A note signed by a Go-generated key opens with our openCheckpoint, and its vkey parses.
r = runGo('sign');
check('Go note.Sign runs', r.status === 0, r.stdout + r.stderr);
if (r.status === 0) {
  try {
    const vkey = fs.readFileSync(path.join(dir, 'go.vkey'), 'utf8').trim();
    const opened = cp.openCheckpoint(fs.readFileSync(path.join(dir, 'go-signed.note')), 'go.example/log', [cp.verifierFromVkey(vkey)]);
    check('our openCheckpoint verifies a checkpoint signed by Go', opened.checkpoint.size === 42);
  } catch (e) {
    check('our openCheckpoint verifies a checkpoint signed by Go', false, e.message);
  }
}

fs.rmSync(dir, { recursive: true, force: true });
if (failures) {
  console.log(`go-interop: ${failures} check(s) failed`);
  process.exit(1);
}
console.log('go-interop: all checks passed');
