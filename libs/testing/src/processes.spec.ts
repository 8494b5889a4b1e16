import fs from 'node:fs';
import net from 'node:net';
import { freePort } from './processes';

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
