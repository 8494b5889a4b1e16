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
});
