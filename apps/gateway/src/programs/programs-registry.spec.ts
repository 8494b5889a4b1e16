import fs from 'node:fs';
import path from 'node:path';
import { REFERENCE_PROGRAMS } from '@passerelle/policy';
import { checkRegistryText } from '@passerelle/registry';

const DEMO = path.resolve(__dirname, '../../../../infra/registry/demo.json');

describe('programs in the registry', () => {
  it('the demo registry holds exactly the three reference programs, and passes the check', () => {
    const text = fs.readFileSync(DEMO, 'utf8');
    expect(JSON.parse(text).programs).toEqual(REFERENCE_PROGRAMS);
    expect(checkRegistryText(text).problems).toEqual([]);
  });

  it('registry check names a bad program rule with its line and pointer', () => {
    const doc = JSON.parse(fs.readFileSync(DEMO, 'utf8'));
    doc.programs[2].conditions[3].level = 13;
    doc.programs[1].cap = 0;
    const { problems } = checkRegistryText(JSON.stringify(doc, null, 2));
    expect(problems).toContainEqual(expect.objectContaining({ pointer: '/programs/2/conditions/3/level', message: expect.stringContaining('level must be a whole NCLC level from 1 to 12 (got 13)'), line: expect.any(Number) }));
    expect(problems.some((p) => p.pointer === '/programs/1/cap')).toBe(true);
  });

  it('registry check validates streams, pacing and waitlists: the demo models tr-to-pr-2021 and qc-health-asylum, and names each problem', () => {
    const doc = JSON.parse(fs.readFileSync(DEMO, 'utf8'));
    const tr = doc.programs.find((p: { id: string }) => p.id === 'tr-to-pr-2021');
    expect(tr.streams.map((s: { id: string; cap: number | null }) => [s.id, s.cap])).toEqual([
      ['health-care', 20000],
      ['essential-non-health', 30000],
      ['international-graduates', 40000],
      ['health-care-fr', null],
      ['essential-non-health-fr', null],
      ['international-graduates-fr', null],
    ]);
    const qc = doc.programs.find((p: { id: string }) => p.id === 'qc-health-asylum');
    expect(qc).toMatchObject({ cap: 1500, capPeriod: { from: '2025-01-01', to: '2027-12-31' }, pacing: { period: 'programmeYear', perPeriod: 500, carryOver: false } });

    const i = doc.programs.indexOf(tr);
    tr.streams[0].pacing = { period: 'programmeYear', perPeriod: 30000, carryOver: false };
    tr.streams[1].cap = 0;
    tr.cap = 5;
    const { problems } = checkRegistryText(JSON.stringify(doc, null, 2));
    expect(problems).toContainEqual(expect.objectContaining({ pointer: `/programs/${i}/streams/0/pacing/perPeriod`, message: expect.stringContaining('perPeriod (30000) is more than the whole cap (20000)'), line: expect.any(Number) }));
    expect(problems.some((p) => p.pointer === `/programs/${i}/streams/1/cap`)).toBe(true);
    expect(problems).toContainEqual(expect.objectContaining({ pointer: `/programs/${i}/cap`, message: expect.stringContaining('cap belongs to each stream') }));
  });
});
