import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(full);
    return /\.(ts|tsx|js|mjs)$/.test(e.name) && !/\.spec\.ts$/.test(e.name) ? [full] : [];
  });
}

describe('the production build', () => {
  it('has no switch that turns trust off: the bench builds its own gateway (bench/trust-off/)', () => {
    const offenders = [...sources(path.join(ROOT, 'apps')), ...sources(path.join(ROOT, 'libs'))].filter((file) =>
      /TRUST_OFF|trust-?off|trustOff|BENCH_ACK/i.test(fs.readFileSync(file, 'utf8')),
    );
    expect(offenders.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});
