// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BENCHES } = require('./targets');

type Target = { value: number; better: 'higher' | 'lower' };
type Bench = { name: string; title: string; description: string; targets: Record<string, Target> };

// `npm run bench` loads this table first; a typo in it used to surface only in CI's bench smoke run.
describe('bench targets table', () => {
  it('names every benchmark once, with a title, a description and well-formed targets', () => {
    const benches = BENCHES as Bench[];
    expect(benches.length).toBeGreaterThan(0);
    expect(new Set(benches.map((b) => b.name)).size).toBe(benches.length);
    for (const b of benches) {
      expect(b.name).toMatch(/^[a-z0-9-]+$/);
      expect(b.title.length).toBeGreaterThan(0);
      expect(b.description.length).toBeGreaterThan(20);
      for (const t of Object.values(b.targets)) {
        expect(Number.isFinite(t.value)).toBe(true);
        expect(['higher', 'lower']).toContain(t.better);
      }
    }
  });

  it('has a script for every benchmark it names', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require('node:fs');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require('node:path');
    for (const b of BENCHES as Bench[]) expect(fs.existsSync(path.join(__dirname, `${b.name}.js`))).toBe(true);
  });
});
