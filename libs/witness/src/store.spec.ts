import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileWitnessStore } from './file-store';
import { MemoryWitnessStore, type WitnessStore } from './store';
import { witnessStoreConformance } from './store.conformance';

witnessStoreConformance('in memory', {
  open: async () => new MemoryWitnessStore(),
  // The memory store outlives a "restart" of the witness that embeds it: same instance.
  reopen: async (store) => store,
});

const dirs = new Map<WitnessStore, string>();
const made: string[] = [];
const tmp = async () => {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'witness-store-'));
  made.push(d);
  return d;
};
afterAll(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});
witnessStoreConformance('files', {
  open: async () => {
    const dir = await tmp();
    const store = await FileWitnessStore.open(dir);
    dirs.set(store, dir);
    return store;
  },
  reopen: async (store) => {
    const dir = dirs.get(store)!;
    await store.close();
    const again = await FileWitnessStore.open(dir);
    dirs.set(again, dir);
    return again;
  },
});

describe('file-backed witness state', () => {
  it('writes records 0600 in a 0700 directory, atomically (no temporary file left behind)', async () => {
    const dir = await tmp();
    const store = await FileWitnessStore.open(dir);
    await store.update('example.org/log', () => ({ next: { origin: 'example.org/log', evidence: [] }, result: null }));
    const files = await fs.readdir(path.join(dir, 'logs'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.json$/);
    expect((await fs.stat(path.join(dir, 'logs', files[0]))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    await store.close();
  });

  it('refuses a second witness on the same state directory while the first runs', async () => {
    const dir = await tmp();
    const store = await FileWitnessStore.open(dir);
    await expect(FileWitnessStore.open(dir)).rejects.toThrow(`in use by process ${process.pid}`);
    await store.close();
    await (await FileWitnessStore.open(dir)).close();
  });

  it('opens read-only beside a running witness, and refuses to write that way', async () => {
    const dir = await tmp();
    const store = await FileWitnessStore.open(dir);
    await store.update('example.org/log', () => ({ next: { origin: 'example.org/log', evidence: [] }, result: null }));
    const reader = await FileWitnessStore.openReadOnly(dir);
    expect(await reader.origins()).toEqual(['example.org/log']);
    await expect(reader.update('example.org/log', () => ({ result: null }))).rejects.toThrow('read-only');
    await reader.close();
    await expect(FileWitnessStore.open(dir)).rejects.toThrow('in use'); // the reader did not drop the lock
    await store.close();
    await expect(FileWitnessStore.openReadOnly(path.join(dir, 'nope'))).rejects.toThrow('not a witness state directory');
  });

  it('takes over the lock a dead process left behind', async () => {
    const dir = await tmp();
    await fs.writeFile(path.join(dir, 'witness.lock'), '2147483646\n');
    await (await FileWitnessStore.open(dir)).close();
  });

  it('refuses a record file that is not the record of its origin', async () => {
    const dir = await tmp();
    const store = await FileWitnessStore.open(dir);
    await store.update('example.org/a', () => ({ next: { origin: 'example.org/a', evidence: [] }, result: null }));
    await store.update('example.org/b', () => ({ next: { origin: 'example.org/b', evidence: [] }, result: null }));
    // swap the two files: each now claims the other's origin
    const [x, y] = await fs.readdir(path.join(dir, 'logs'));
    const tx = await fs.readFile(path.join(dir, 'logs', x));
    await fs.copyFile(path.join(dir, 'logs', y), path.join(dir, 'logs', x));
    await fs.writeFile(path.join(dir, 'logs', y), tx);
    await expect(store.get('example.org/a')).rejects.toThrow('not the record of the log');
    await store.close();
  });
});
