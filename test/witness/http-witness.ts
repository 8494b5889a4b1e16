import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cosigner, formatVkey, generateKeyPair, SIG_COSIGNATURE_V1, verifierFromVkey, type NoteVerifier } from '@passerelle/checkpoint';
import { addCheckpoint, CheckpointStaleError, MemoryWitnessStore, WitnessError, type WitnessState } from '@passerelle/witness';

/** A witness in the test process (libs/witness over node:http), so that a test can stop it and read its state. */
export interface TestWitness {
  name: string;
  vkey: string;
  url: string;
  state: WitnessState;
  logs: Map<string, NoteVerifier[]>;
  server: http.Server;
  requests: number;
}

/** A witness over HTTP: POST /add-checkpoint as c2sp.org/tlog-witness says, nothing else. */
export async function startWitness(name: string): Promise<TestWitness> {
  const pair = generateKeyPair(name, SIG_COSIGNATURE_V1);
  const logs = new Map<string, NoteVerifier[]>();
  const state: WitnessState = { store: new MemoryWitnessStore(), logs, cosigner: cosigner(pair) };
  const w = { name, vkey: formatVkey(name, SIG_COSIGNATURE_V1, pair.publicKey), state, logs, requests: 0 } as TestWitness;
  w.server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      w.requests++;
      addCheckpoint(state, Buffer.concat(chunks).toString('utf8')).then(
        (ok) => res.writeHead(200, { 'content-type': 'text/plain' }).end(ok.cosignatures),
        (e: Error) => {
          if (e instanceof CheckpointStaleError) return res.writeHead(409, { 'content-type': 'text/x.tlog.size' }).end(`${e.latestSize}\n`);
          res.writeHead(e instanceof WitnessError ? e.status : 500).end(`${e.message}\n`);
        },
      );
    });
  });
  await new Promise<void>((resolve) => w.server.listen(0, '127.0.0.1', resolve));
  w.url = `http://127.0.0.1:${(w.server.address() as AddressInfo).port}`;
  return w;
}

/** Tells the witnesses the log's note key (out of band: the public file consent-audit wrote). */
export function followLog(witnesses: readonly TestWitness[], logVkey: string): void {
  const key = verifierFromVkey(logVkey.trim());
  for (const w of witnesses) w.logs.set(key.name, [key]);
}

export async function stopWitness(w: TestWitness | undefined): Promise<void> {
  if (w?.server.listening) await new Promise((r) => w.server.close(r));
}
