import fs from 'node:fs';
import net from 'node:net';
import { freePort, freePortBlock } from './processes';

const ephemeralLow = (): number => {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 32768;
  }
};

describe('freePort', () => {
  it('no pick-then-bind race: ports come from outside the range the kernel hands to outgoing connections and port-0 listeners', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(ports.filter((p) => p >= ephemeralLow())).toEqual([]);
  });

  it('never hands out the same port twice, even to concurrent callers', async () => {
    const ports = await Promise.all(Array.from({ length: 200 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('hands out a port that can really be listened on', async () => {
    const port = await freePort();
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((r) => server.close(r));
  });
});

describe('freePortBlock', () => {
  const saved = process.env.PASSERELLE_TEST_PORT_BASE;
  beforeAll(() => delete process.env.PASSERELLE_TEST_PORT_BASE);
  afterAll(() => {
    if (saved !== undefined) process.env.PASSERELLE_TEST_PORT_BASE = saved;
  });

  it('hands out blocks of consecutive ports that overlap neither each other nor freePort, outside the ephemeral range', async () => {
    const blocks = await Promise.all(Array.from({ length: 10 }, () => freePortBlock(6)));
    const singles = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    const all = [...blocks.flatMap((b) => [0, 1, 2, 3, 4, 5].map((i) => b + i)), ...singles];
    expect(new Set(all).size).toBe(all.length);
    expect(all.filter((p) => p >= ephemeralLow())).toEqual([]);
  });

  it('takes the block a helper sharing the machine pins', async () => {
    process.env.PASSERELLE_TEST_PORT_BASE = '19380';
    try {
      expect(await freePortBlock(6)).toBe(19380);
    } finally {
      delete process.env.PASSERELLE_TEST_PORT_BASE;
    }
  });
});
