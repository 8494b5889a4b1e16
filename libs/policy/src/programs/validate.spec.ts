import { parsePrograms, programProblems, ProgramDefinitionError } from './validate';
import { REFERENCE_PROGRAMS } from './reference-programs';

const clone = <T>(v: T): T => structuredClone(v);
const valid = () => clone(REFERENCE_PROGRAMS[2]) as unknown as Record<string, unknown> & { conditions: Array<Record<string, unknown>> };

describe('programProblems', () => {
  it('accepts the three reference programs (streams and pacing included)', () => {
    expect(programProblems(REFERENCE_PROGRAMS)).toEqual([]);
    expect(parsePrograms(REFERENCE_PROGRAMS)).toHaveLength(3);
    expect(programProblems(undefined)).toEqual([]);
  });

  const cases: Array<[string, (p: ReturnType<typeof valid>) => unknown, string, string]> = [
    ['a bad id', (p) => ((p.id = 'QC Health'), p), '/programs/0/id', 'id must be 2–64 lowercase letters'],
    ['an unknown property', (p) => ((p.quota = 3), p), '/programs/0/quota', "unknown property 'quota'"],
    ['a missing French name', (p) => ((p.names = { en: 'x' }), p), '/programs/0/names/fr', 'names.fr must be a non-empty string'],
    ['a negative cap', (p) => ((p.cap = -5), p), '/programs/0/cap', 'cap must be null (no cap) or a whole number from 1'],
    ['a fractional cap', (p) => ((p.cap = 1.5), p), '/programs/0/cap', 'got 1.5'],
    ['a missing cap', (p) => (delete p.cap, p), '/programs/0', 'cap is missing'],
    ['a cap period ending before it starts', (p) => ((p.capPeriod = { from: '2027-01-01', to: '2026-01-01' }), p), '/programs/0/capPeriod/to', 'capPeriod ends (2026-01-01) before it starts (2027-01-01)'],
    ['a cap period with a non-day', (p) => ((p.capPeriod = { from: '2026-02-30', to: '2027-01-01' }), p), '/programs/0/capPeriod/from', 'capPeriod from must be a calendar day'],
    ['no conditions', (p) => ((p.conditions = []), p), '/programs/0/conditions', 'conditions must be a non-empty array'],
    ['an unknown kind', (p) => ((p.conditions[0].kind = 'ageAtLeast'), p), '/programs/0/conditions/0/kind', 'kind must be one of nocCodeIn'],
    ['a duplicate condition name', (p) => ((p.conditions[1].name = 'in-quebec'), p), '/programs/0/conditions/1/name', 'duplicate condition name'],
    ['a bad province', (p) => ((p.conditions[0].provinces = ['QC', 'Quebec']), p), '/programs/0/conditions/0/provinces/1', '"Quebec" is not a province or territory code'],
    ['a repeated province', (p) => ((p.conditions[0].provinces = ['QC', 'QC']), p), '/programs/0/conditions/0/provinces/1', 'listed twice'],
    ['an unknown claim status', (p) => ((p.conditions[1].statuses = ['REFUGEE']), p), '/programs/0/conditions/1/statuses/0', 'is not a claim status'],
    ['a bad permit date', (p) => ((p.conditions[2].date = 'tomorrow'), p), '/programs/0/conditions/2/date', 'date must be "today" or a calendar day'],
    ['a French level of 13', (p) => ((p.conditions[3].level = 13), p), '/programs/0/conditions/3/level', 'level must be a whole NCLC level from 1 to 12 (got 13)'],
    ['an unknown sector', (p) => ((p.conditions[4].sectors = ['HOSPITAL']), p), '/programs/0/conditions/4/sectors/0', 'is not a sector'],
    ['a 4-digit NOC code', (p) => ((p.conditions[5].codes = ['3310']), p), '/programs/0/conditions/5/codes/0', 'is not a NOC 2021 code of 5 digits'],
    ['a parameter of another kind', (p) => ((p.conditions[3].hours = 5), p), '/programs/0/conditions/3/hours', "unknown parameter 'hours' for kind frenchLevelAtLeast (expected: level)"],
    [
      'an hours window backwards and zero hours',
      (p) => ((p.conditions[0] = { name: 'h', kind: 'hoursAtLeast', hours: 0, from: '2020-08-14', to: '2020-03-13' }), p),
      '/programs/0/conditions/0/to',
      'the hours window ends (2020-03-13) before it starts (2020-08-14)',
    ],
  ];
  const streamed = () => clone(REFERENCE_PROGRAMS[1]) as unknown as Record<string, unknown> & { streams: Array<Record<string, unknown>> };
  const streamCases: Array<[string, (p: ReturnType<typeof streamed>) => unknown, string, string]> = [
    ['a program-level cap beside streams', (p) => ((p.cap = 5), p), '/programs/0/cap', 'cap belongs to each stream when the program has streams'],
    ['no streams', (p) => ((p.streams = []), p), '/programs/0/streams', 'streams must be a non-empty array'],
    ['a duplicate stream id', (p) => ((p.streams[1].id = 'health-care'), p), '/programs/0/streams/1/id', 'duplicate stream id'],
    ['a stream without cap', (p) => (delete p.streams[0].cap, p), '/programs/0/streams/0', "stream 'health-care': cap is missing"],
    ['a stream window backwards', (p) => ((p.streams[0].window = { from: '2021-11-05', to: '2021-05-06' }), p), '/programs/0/streams/0/window/to', 'window ends (2021-05-06) before it starts (2021-11-05)'],
    ['a stream condition reusing a common name', (p) => ((p.streams[0].conditions = [{ name: 'not-an-asylum-claimant', kind: 'provinceIn', provinces: ['QC'] }]), p), '/programs/0/streams/0/conditions/0/name', "the program's common conditions already use it"],
    ['a stream with no condition in a program with none', (p) => ((p.conditions = []), (p.streams[2].conditions = []), p), '/programs/0/streams/2/conditions', 'everyone would be eligible'],
    ['pacing without window', (p) => ((p.streams[0].window = null), (p.streams[0].pacing = { period: 'programmeYear', perPeriod: 5, carryOver: false }), p), '/programs/0/streams/0/pacing', 'pacing needs a window'],
    ['pacing above the cap', (p) => ((p.streams[0].pacing = { period: 'programmeYear', perPeriod: 20001, carryOver: false }), p), '/programs/0/streams/0/pacing/perPeriod', 'perPeriod (20001) is more than the whole cap (20000)'],
    ['pacing by month', (p) => ((p.streams[0].pacing = { period: 'month', perPeriod: 5, carryOver: false }), p), '/programs/0/streams/0/pacing/period', 'pacing period must be "programmeYear"'],
    ['carryOver not a boolean', (p) => ((p.streams[0].pacing = { period: 'programmeYear', perPeriod: 5, carryOver: 'yes' }), p), '/programs/0/streams/0/pacing/carryOver', 'carryOver must be true'],
    ['waitlist not a boolean', (p) => ((p.waitlist = 'yes'), p), '/programs/0/waitlist', 'waitlist must be true or false'],
  ];
  it.each(streamCases)('streams and pacing: names %s with its pointer and a specific message', (_name, mutate, pointer, message) => {
    expect(programProblems([mutate(streamed())])).toContainEqual({ pointer, message: expect.stringContaining(message) });
  });

  it.each(cases)('names %s with its pointer and a specific message', (_name, mutate, pointer, message) => {
    const problems = programProblems([mutate(valid())]);
    expect(problems).toContainEqual({ pointer, message: expect.stringContaining(message) });
    // every message says which program it is about
    for (const p of problems) expect(p.message).toMatch(/^program '|^program #|^duplicate program id/);
  });

  it('names every problem at once, not only the first', () => {
    const p = valid();
    p.cap = 0;
    p.conditions[3].level = 0;
    p.conditions[0].provinces = [];
    expect(programProblems([p]).map((x) => x.pointer)).toEqual(['/programs/0/cap', '/programs/0/conditions/0/provinces', '/programs/0/conditions/3/level']);
  });

  it('refuses duplicate program ids and non-objects', () => {
    expect(programProblems([valid(), valid()])).toContainEqual({ pointer: '/programs/1/id', message: "duplicate program id 'qc-health-asylum'" });
    expect(programProblems([42])).toEqual([{ pointer: '/programs/0', message: expect.stringContaining('a program must be an object') }]);
    expect(programProblems({})).toEqual([{ pointer: '/programs', message: 'programs must be an array of program definitions' }]);
  });

  it('parsePrograms throws naming every problem', () => {
    const p = valid();
    p.cap = 'many';
    expect(() => parsePrograms([p])).toThrow(ProgramDefinitionError);
    expect(() => parsePrograms([p])).toThrow(/\/programs\/0\/cap: program 'qc-health-asylum': cap must be/);
  });
});
