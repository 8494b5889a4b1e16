import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stepsOfProfile, newestProfile } = require('./profile-steps');

/**
 * A synthetic .cpuprofile over source files (no bundle, so no source map): nodes are
 * [id, functionName, url, parentId]; samples are [nodeId, µs until the next sample].
 */
function profile(nodes: Array<[number, string, string, number | null]>, samples: Array<[number, number]>, startTime = 1_000) {
  const children = new Map<number, number[]>();
  for (const [id, , , parent] of nodes) if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), id]);
  // timeDeltas[i] is the time from sample i-1 to sample i; a sample lasts until the next one
  const timeDeltas = [0, ...samples.map(([, us]) => us)].slice(0, samples.length + 1);
  return {
    nodes: nodes.map(([id, functionName, url]) => ({ id, callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 }, children: children.get(id) ?? [] })),
    startTime,
    endTime: startTime + samples.reduce((a, [, us]) => a + us, 0),
    samples: [...samples.map(([id]) => id), 1],
    timeDeltas,
  };
}

const SRC = '/repo/apps/gateway/src';
const NODES: Array<[number, string, string, number | null]> = [
  [1, '(root)', '', null],
  [2, '(idle)', '', 1],
  [3, 'check', `${SRC}/exchange/request-verifier.ts`, 1],
  [4, 'verifyOneShot', 'node:internal/crypto/sig', 3],
  [5, 'flush', `${SRC}/exchange/replay-store.ts`, 1],
  [6, 'submit', '/repo/node_modules/pg/lib/query.js', 5],
  [7, 'parse', '/repo/node_modules/pg-protocol/dist/parser.js', 1],
  [8, '(garbage collector)', '', 1],
  [9, 'writev', '', 1],
  [10, 'sign', `${SRC}/exchange/response-signer.ts`, 1],
  [11, 'handler', '/repo/node_modules/fastify/lib/handle-request.js', 10],
];

describe('bench CPU profile by step of the exchange', () => {
  it('charges a sample to the first step frame from the leaf up, else to the component at its leaf, and leaves idle out of busy', () => {
    const p = profile(NODES, [
      [4, 100], // jose/node:crypto under the verifier: verify
      [6, 30], // pg sending the replay INSERT: replay
      [7, 20], // pg parsing a result on a socket callback: the driver
      [8, 40],
      [9, 15],
      [11, 5], // Fastify called under the signer: sign (a step frame above it wins)
      [2, 500],
    ]);
    const { byStep, busyUs, idleUs } = stepsOfProfile(p);
    expect(Object.fromEntries(byStep)).toEqual({ verifyUs: 100, replayUs: 30, pgDriverUs: 20, gcUs: 40, nativeUs: 15, signUs: 5 });
    expect(busyUs).toBe(210);
    expect(idleUs).toBe(500);
  });

  it('counts only the samples inside the window, and every busy µs once whatever the window', () => {
    const samples: Array<[number, number]> = Array.from({ length: 200 }, (_, i) => [[4, 6, 7, 8, 9, 11][i % 6], 10 + (i % 7)]);
    const p = profile(NODES, samples);
    const all = stepsOfProfile(p).busyUs;
    expect(all).toBe(samples.reduce((a, [, us]) => a + us, 0));
    // split the profile at random points: the parts add up to the whole
    for (let k = 0; k < 50; k++) {
      const cut = p.startTime + Math.floor(Math.random() * (p.endTime - p.startTime));
      const before = stepsOfProfile(p, { toUs: cut - 0.5 }).busyUs;
      const after = stepsOfProfile(p, { fromUs: cut - 0.5 + 1e-9 }).busyUs;
      expect(before + after).toBe(all);
    }
    expect(stepsOfProfile(p, { fromUs: p.endTime + 1 }).busyUs).toBe(0);
  });

  it("reads the newest run's MAIN-thread profile, not a worker thread's beside it nor an older run's", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-steps-'));
    try {
      const write = (run: string, file: string, mark: string, mtime: number) => {
        fs.mkdirSync(path.join(dir, run), { recursive: true });
        fs.writeFileSync(path.join(dir, run, file), JSON.stringify({ mark }));
        fs.utimesSync(path.join(dir, run), mtime, mtime);
      };
      write('gateway-full-1', 'CPU.20261203.080000.100.0.001.cpuprofile', 'old main', 1_000);
      write('gateway-full-2', 'CPU.20261203.090000.200.1.002.cpuprofile', 'worker', 2_000);
      write('gateway-full-2', 'CPU.20261203.090000.200.0.001.cpuprofile', 'new main', 2_000);
      write('gateway-full-2', 'CPU.20261203.090000.200.2.003.cpuprofile', 'another worker', 2_000);
      write('consent-audit-3', 'CPU.20261203.100000.300.0.001.cpuprofile', 'another process', 3_000);
      expect(newestProfile(dir, 'gateway-full')).toEqual({ mark: 'new main' });
      fs.rmSync(path.join(dir, 'gateway-full-2', 'CPU.20261203.090000.200.0.001.cpuprofile'));
      expect(() => newestProfile(dir, 'gateway-full')).toThrow(/one main-thread profile/);
      expect(() => newestProfile(dir, 'job-match-consumer')).toThrow(/no job-match-consumer-\* profile directory/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
