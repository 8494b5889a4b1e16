import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RegistryHolder } from './holder';
import { recordRegistryInLedger } from './ledger-record';
import { registryVersion } from './registry';

const doc = (gatewayId: string) => JSON.stringify({ gatewayId, agencies: [], agreements: [], programs: [] });

describe('recordRegistryInLedger', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'registry-ledger-'));
    file = path.join(dir, 'registry.json');
    await fs.writeFile(file, doc('one'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('records the load first, then every reload, each with the version of the bytes read', async () => {
    const holder = await RegistryHolder.load(file);
    const recorded: Array<[string, string]> = [];
    const { first, stop } = recordRegistryInLedger(holder, async (op, v) => void recorded.push([op, v]));
    await first;
    expect(recorded).toEqual([['registry:load', registryVersion(doc('one'))]]);
    await fs.writeFile(file, doc('two'));
    expect(await holder.reload()).toBe(true);
    expect(recorded).toEqual([
      ['registry:load', registryVersion(doc('one'))],
      ['registry:reload', registryVersion(doc('two'))],
    ]);
    stop();
    await fs.writeFile(file, doc('three'));
    await holder.reload();
    expect(recorded).toHaveLength(2);
  });

  it('keeps trying the load while the ledger refuses, and never records a reload the holder refused', async () => {
    const holder = await RegistryHolder.load(file);
    let fails = 2;
    const recorded: string[] = [];
    const tries: string[] = [];
    const done = new Promise<void>((resolve) => {
      const { first, stop } = recordRegistryInLedger(holder, async (op) => {
        tries.push(op);
        if (fails-- > 0) throw new Error('ledger unavailable');
        recorded.push(op);
        stop();
        resolve();
      });
      void first;
    });
    await done;
    expect(tries).toEqual(['registry:load', 'registry:load', 'registry:load']);
    expect(recorded).toEqual(['registry:load']);
    await fs.writeFile(file, '{ not json');
    expect(await holder.reload()).toBe(false);
    expect(recorded).toEqual(['registry:load']);
  });
});
