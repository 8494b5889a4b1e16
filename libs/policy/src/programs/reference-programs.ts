import type { ProgramCondition, ProgramDefinition, ProgramStream } from './program.types';

/**
 * The three programs of DOMAIN.md, as they appear in infra/registry/demo.json (a unit test keeps
 * the two equal). The rules are a model of the public descriptions, not legal advice; see
 * docs/programs.md for the sources and for what is simplified.
 */
const ASYLUM_CLAIMANT = ['PENDING', 'ACCEPTED', 'REJECTED', 'APPEAL_PENDING'] as const;

/** NOC 2021 health occupations (the 2021 TR-to-PR health stream's list, abridged). */
export const HEALTH_OCCUPATIONS = [
  '31100', '31101', '31102', '31110', '31112', '31120', '31121', '31200', '31201', '31202', '31203',
  '31300', '31301', '31302', '31303', '32101', '32102', '32120', '32121', '32122', '32124',
  '33100', '33101', '33102', '33103', '33109', '41300', '44101',
];

/** NOC 2021 essential occupations outside health care (the 2021 Annex B list, abridged). */
export const ESSENTIAL_OCCUPATIONS = ['65201', '65310', '73201', '75101', '84120', '85100', '94141', '95106', '64100', '64409', '74100', '75110'];

const TR_TO_PR_WINDOW = { from: '2021-05-06', to: '2021-11-05' };
const HEALTH_STREAM: ProgramCondition[] = [
  { name: 'health-occupation', kind: 'nocCodeIn', codes: [...HEALTH_OCCUPATIONS] },
  { name: 'one-year-experience', kind: 'hoursAtLeast', hours: 1560, from: '2018-05-06', to: '2021-11-05' },
];
const ESSENTIAL_STREAM: ProgramCondition[] = [{ name: 'essential-occupation', kind: 'nocCodeIn', codes: [...ESSENTIAL_OCCUPATIONS] }];
/** The French-speaking streams asked for NCLC 4 in French. */
const FRENCH: ProgramCondition = { name: 'french-nclc-4', kind: 'frenchLevelAtLeast', level: 4 };

function stream(id: string, en: string, fr: string, conditions: ProgramCondition[], cap: number | null): ProgramStream {
  return { id, names: { en, fr }, conditions, cap, window: TR_TO_PR_WINDOW, pacing: null };
}

export const REFERENCE_PROGRAMS: ProgramDefinition[] = [
  {
    id: 'guardian-angels-2020',
    names: { en: 'Guardian angels: asylum claimants working in health care during COVID-19', fr: "Anges gardiens : demandeurs d'asile travaillant dans le secteur de la santé pendant la COVID-19" },
    description:
      "Asylum claimants who worked in any health-care role (security included) during the first wave: the hours counted are those at health-care worksites, whoever the employer (a security firm's guard posted in a CHSLD counts); hours threshold is the hoursAtLeast parameter. Applications were taken 2020-12-14 to 2021-08-31; no cap.",
    conditions: [
      { name: 'asylum-claimant', kind: 'claimStatusIn', statuses: [...ASYLUM_CLAIMANT] },
      { name: 'pandemic-hours', kind: 'hoursAtLeast', hours: 120, from: '2020-03-13', to: '2020-08-14' },
    ],
    cap: null,
    capPeriod: null,
  },
  {
    id: 'tr-to-pr-2021',
    names: { en: 'Temporary resident to permanent resident pathway (2021)', fr: 'Voie d’accès de résident temporaire à résident permanent (2021)' },
    description:
      'Six streams, 2021-05-06 to 2021-11-05: health-care workers (20,000), essential non-health workers (30,000), international graduates (40,000), and the three French-speaking streams, uncapped. Refugee claimants and undocumented people were excluded. Simplified: one year (1,560 h) of experience is modelled for health care only; graduation is not in the claimant vocabulary.',
    conditions: [
      { name: 'temporary-resident-status', kind: 'permitValidOn', date: '2021-05-06' },
      { name: 'not-an-asylum-claimant', kind: 'claimStatusNotIn', statuses: [...ASYLUM_CLAIMANT] },
    ],
    waitlist: false,
    streams: [
      stream('health-care', 'Health-care workers', 'Travailleurs de la santé', HEALTH_STREAM, 20000),
      stream('essential-non-health', 'Essential workers outside health care', 'Travailleurs essentiels hors santé', ESSENTIAL_STREAM, 30000),
      stream('international-graduates', 'International graduates', 'Diplômés étrangers', [], 40000),
      stream('health-care-fr', 'French-speaking health-care workers', 'Travailleurs de la santé francophones', [...HEALTH_STREAM, FRENCH], null),
      stream('essential-non-health-fr', 'French-speaking essential workers outside health care', 'Travailleurs essentiels francophones hors santé', [...ESSENTIAL_STREAM, FRENCH], null),
      stream('international-graduates-fr', 'French-speaking international graduates', 'Diplômés étrangers francophones', [FRENCH], null),
    ],
  },
  {
    id: 'qc-health-asylum',
    names: { en: 'Quebec: asylum claimants in health-care positions', fr: "Québec : demandeurs d'asile dans des postes du réseau de la santé" },
    description: 'Asylum claimants in Quebec placed in health-care support positions (patient care aides, administrative, kitchen, maintenance): valid work permit and intermediate French (NCLC 5+). 1,500 places over three years, at most 500 in each programme year (unused places are not carried over); a full year waitlists.',
    conditions: [
      { name: 'in-quebec', kind: 'provinceIn', provinces: ['QC'] },
      { name: 'asylum-claimant', kind: 'claimStatusIn', statuses: ['PENDING', 'APPEAL_PENDING'] },
      { name: 'valid-work-permit', kind: 'permitValidOn', date: 'today' },
      { name: 'intermediate-french', kind: 'frenchLevelAtLeast', level: 5 },
      { name: 'health-care-employer', kind: 'sectorIn', sectors: ['HEALTH_CARE'] },
      { name: 'support-position', kind: 'nocCodeIn', codes: ['33102', '13110', '14110', '65201', '65310', '73201'] },
    ],
    cap: 1500,
    capPeriod: { from: '2025-01-01', to: '2027-12-31' },
    pacing: { period: 'programmeYear', perPeriod: 500, carryOver: false },
    waitlist: true,
  },
];
