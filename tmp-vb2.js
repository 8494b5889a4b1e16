const path = require('node:path');
const { installTs, ROOT } = require('./bench/lib/ts'); installTs();
const merkle = require(path.join(ROOT, 'libs/merkle/src/index.ts'));
const N = Number(process.argv[2] || 100000); const W = Number(process.argv[3] || 1);
const texts = [];
for (let i = 0; i < N; i++) texts.push(JSON.stringify({ agency: 'esdc-jobbank', decision: 'PERMIT', fields: ['city','title'], jti: `evt-${i}`, kid: 'k1', operation: 'kafka:jobbank.matches.v1', purpose: 'JOB_MATCHING', reason: 'ok', request_id: `t:0:${i}`, request_sha256: 'A'.repeat(43), response_sha256: '', seq: i, subjects: ['i_AAAAAAAAAAAAAAAAAAAAAA'], time: '2026-12-02T06:00:00.000Z' }));
(async () => {
  const v0 = new merkle.LedgerVerifier(); for (let i = 0; i < N; i++) v0.push(i, texts[i]);
  const head = { treeSize: N, rootHash: v0['range'].root() };
  for (let r = 0; r < 4; r++) {
    const t = performance.now();
    const v = W ? new merkle.ParallelLedgerVerifier(undefined, { workers: W }) : new merkle.LedgerVerifier();
    for (let s = 0; s < N; s += 1000) { for (let i = s; i < Math.min(N, s + 1000); i++) v.push(i, texts[i]); if (W) await v.drain(); }
    const res = await v.finish(head, async () => { throw new Error('x'); });
    if (!res.ok) throw new Error('bad');
    if (W) await v.close();
    console.log(W, Math.round(N / ((performance.now() - t) / 1000)));
  }
})();
