import type { ProgramDefinition } from './program.types';

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

export const REFERENCE_PROGRAMS: ProgramDefinition[] = [
  {
    id: 'guardian-angels-2020',
    names: { en: 'Guardian angels: asylum claimants working in health care during COVID-19', fr: "Anges gardiens : demandeurs d'asile travaillant dans le secteur de la santé pendant la COVID-19" },
    description: 'Asylum claimants who worked in any health-care role (security included) during the first wave; hours threshold is the hoursAtLeast parameter. Applications were taken 2020-12-14 to 2021-08-31; no cap.',
    conditions: [
      { name: 'asylum-claimant', kind: 'claimStatusIn', statuses: [...ASYLUM_CLAIMANT] },
      { name: 'health-care-employer', kind: 'sectorIn', sectors: ['HEALTH_CARE'] },
      { name: 'pandemic-hours', kind: 'hoursAtLeast', hours: 120, from: '2020-03-13', to: '2020-08-14' },
    ],
    cap: null,
    capPeriod: null,
  },
  {
    id: 'tr-to-pr-health-2021',
    names: { en: 'Temporary resident to permanent resident pathway: health-care workers (2021)', fr: 'Voie d’accès de résident temporaire à résident permanent : travailleurs de la santé (2021)' },
    description: 'Temporary residents with one year (1,560 h) in a health occupation in the three years before applying; refugee claimants and undocumented people were excluded. 20,000 places, 2021-05-06 to 2021-11-05.',
    conditions: [
      { name: 'health-occupation', kind: 'nocCodeIn', codes: [...HEALTH_OCCUPATIONS] },
      { name: 'one-year-experience', kind: 'hoursAtLeast', hours: 1560, from: '2018-05-06', to: '2021-11-05' },
      { name: 'temporary-resident-status', kind: 'permitValidOn', date: '2021-05-06' },
      { name: 'not-an-asylum-claimant', kind: 'claimStatusNotIn', statuses: [...ASYLUM_CLAIMANT] },
    ],
    cap: 20000,
    capPeriod: { from: '2021-05-06', to: '2021-11-05' },
  },
  {
    id: 'qc-health-asylum',
    names: { en: 'Quebec: asylum claimants in health-care positions', fr: "Québec : demandeurs d'asile dans des postes du réseau de la santé" },
    description: 'Asylum claimants in Quebec placed in health-care support positions (patient care aides, administrative, kitchen, maintenance): valid work permit and intermediate French (NCLC 5+). 1,500 places over three years.',
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
  },
];
