import type * as jobbank from './job-match.proto';

/** A valid job-match event for tests and benchmarks (like crypto's testKeyring): override what the test is about. */
export function sampleJobMatchEvent(overrides: Partial<Omit<jobbank.JobMatchEvent, 'posting'>> & { posting?: Partial<jobbank.Posting> } = {}): jobbank.JobMatchEvent {
  const { posting, ...rest } = overrides;
  return {
    eventId: 'evt-0001',
    batchId: 'batch-2026-03-01',
    pseudonym: 'p1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    score: 0.87,
    matchedAt: '2026-03-01T12:00:00Z',
    ...rest,
    posting: {
      id: 'JB-4471203',
      title: 'Patient care aide',
      nocCode: '33102',
      province: 'ON',
      city: 'Ottawa',
      hourlyWageCents: 2450,
      languageRequirement: 'EN_OR_FR',
      postedAt: '2026-02-20T09:00:00-05:00',
      ...posting,
    },
  };
}
