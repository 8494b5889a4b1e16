import fc from 'fast-check';
import * as jobbank from './job-match.proto';
import { sampleJobMatchEvent } from './job-match.fixtures';
import { isRfc3339, jobMatchFromJson, parseJobMatchNdjson, validateJobMatchEvent, PROVINCES } from './job-match.validation';

const json = (o: unknown) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>;

describe('validateJobMatchEvent', () => {
  it('accepts the sample event', () => {
    expect(validateJobMatchEvent(sampleJobMatchEvent())).toEqual([]);
  });

  it.each([
    ['eventId', sampleJobMatchEvent({ eventId: '' }), 'eventId must be 1-128 characters'],
    ['eventId', sampleJobMatchEvent({ eventId: 'a b' }), 'eventId must be 1-128 characters'],
    ['batchId', sampleJobMatchEvent({ batchId: 'x'.repeat(129) }), 'batchId must be 1-128 characters'],
    ['pseudonym', sampleJobMatchEvent({ pseudonym: '' }), 'pseudonym must be'],
    ['score', sampleJobMatchEvent({ score: 1.01 }), 'score must be a number from 0 to 1'],
    ['score', sampleJobMatchEvent({ score: -0.1 }), 'score must be a number from 0 to 1'],
    ['score', sampleJobMatchEvent({ score: Number.NaN }), 'score must be a number from 0 to 1'],
    ['matchedAt', sampleJobMatchEvent({ matchedAt: '2026-03-01' }), 'matchedAt must be an RFC 3339'],
    ['matchedAt', sampleJobMatchEvent({ matchedAt: '2026-02-30T12:00:00Z' }), 'matchedAt must be an RFC 3339'],
    ['posting.id', sampleJobMatchEvent({ posting: { id: '' } }), 'posting.id must be'],
    ['posting.title', sampleJobMatchEvent({ posting: { title: '  ' } }), 'posting.title is required'],
    ['posting.title', sampleJobMatchEvent({ posting: { title: 'a\u0000b' } }), 'posting.title must not contain control characters'],
    ['posting.nocCode', sampleJobMatchEvent({ posting: { nocCode: '3310' } }), 'posting.nocCode must be a NOC 2021 code of exactly 5 digits'],
    ['posting.nocCode', sampleJobMatchEvent({ posting: { nocCode: '3310A' } }), 'posting.nocCode must be a NOC 2021 code of exactly 5 digits'],
    ['posting.province', sampleJobMatchEvent({ posting: { province: 'QB' } }), 'posting.province must be one of'],
    ['posting.city', sampleJobMatchEvent({ posting: { city: 'c'.repeat(101) } }), 'posting.city must be at most 100 characters'],
    ['posting.hourlyWageCents', sampleJobMatchEvent({ posting: { hourlyWageCents: -1 } }), 'posting.hourlyWageCents must be a whole number of cents, 0 or more'],
    ['posting.languageRequirement', sampleJobMatchEvent({ posting: { languageRequirement: 'DE' } }), 'posting.languageRequirement must be one of'],
    ['posting.postedAt', sampleJobMatchEvent({ posting: { postedAt: 'yesterday' } }), 'posting.postedAt must be an RFC 3339'],
    ['posting.minEnglishClb', sampleJobMatchEvent({ posting: { minEnglishClb: 0 } }), 'posting.minEnglishClb must be a whole CLB level from 1 to 12'],
    ['posting.minEnglishClb', sampleJobMatchEvent({ posting: { minEnglishClb: 13 } }), 'posting.minEnglishClb must be a whole CLB level from 1 to 12'],
    ['posting.minFrenchNclc', sampleJobMatchEvent({ posting: { minFrenchNclc: -3 } }), 'posting.minFrenchNclc must be a whole NCLC level from 1 to 12'],
  ])('refuses a bad %s', (field, event, message) => {
    const problems = validateJobMatchEvent(event);
    expect(problems).toHaveLength(1);
    expect(problems[0].field).toBe(field);
    expect(problems[0].problem).toContain(message);
  });

  it('refuses an event without a posting', () => {
    expect(validateJobMatchEvent({ ...sampleJobMatchEvent(), posting: undefined })).toEqual([{ field: 'posting', problem: 'posting is required' }]);
  });

  it('never echoes the offending value in a problem', () => {
    const secret = 'SECRET-VALUE-123';
    const problems = validateJobMatchEvent(sampleJobMatchEvent({ eventId: `${secret} `, posting: { nocCode: secret, province: secret } }));
    expect(problems.length).toBe(3);
    for (const p of problems) expect(p.problem).not.toContain(secret);
  });

  it('accepts every score in [0, 1] and every province, and nothing outside (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: false }), fc.constantFrom(...PROVINCES), fc.nat({ max: 10_000_000 }), (score, province, wage) => {
        const problems = validateJobMatchEvent(sampleJobMatchEvent({ score, posting: { province, hourlyWageCents: wage } }));
        const inRange = Number.isFinite(score) && score >= 0 && score <= 1;
        expect(problems.length === 0).toBe(inRange);
      }),
    );
  });

  it('accepts exactly the 5-digit NOC codes (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 7 }), (noc) => {
        const problems = validateJobMatchEvent(sampleJobMatchEvent({ posting: { nocCode: noc } }));
        expect(problems.length === 0).toBe(/^[0-9]{5}$/.test(noc));
      }),
    );
  });

  it('survives a protobuf round trip unchanged (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.string({ minLength: 1, maxLength: 200 }), (score, wage, title) => {
        const event = sampleJobMatchEvent({ score, posting: { hourlyWageCents: wage, title } });
        expect(jobbank.JobMatchEvent.decode(jobbank.JobMatchEvent.encode(event).finish())).toEqual(event);
      }),
    );
  });
});

describe('posting language levels (issue 16)', () => {
  it('accepts exactly the levels 1 to 12, or none (property)', () => {
    fc.assert(
      fc.property(fc.option(fc.integer({ min: -5, max: 20 }), { nil: undefined }), fc.option(fc.integer({ min: -5, max: 20 }), { nil: undefined }), (clb, nclc) => {
        const problems = validateJobMatchEvent(sampleJobMatchEvent({ posting: { minEnglishClb: clb, minFrenchNclc: nclc } }));
        const ok = (v: number | undefined) => v === undefined || (v >= 1 && v <= 12);
        expect(problems.length === 0).toBe(ok(clb) && ok(nclc));
      }),
    );
  });

  it('an event without levels decodes without them (backward compatible), one with levels keeps them', () => {
    const old = jobbank.JobMatchEvent.decode(jobbank.JobMatchEvent.encode(sampleJobMatchEvent()).finish());
    expect(old.posting!.minEnglishClb).toBeUndefined();
    expect(old.posting!.minFrenchNclc).toBeUndefined();
    const withLevels = sampleJobMatchEvent({ posting: { minEnglishClb: 6, minFrenchNclc: 7 } });
    expect(jobbank.JobMatchEvent.decode(jobbank.JobMatchEvent.encode(withLevels).finish())).toEqual(withLevels);
  });

  it('reads levels from the proto3 JSON form and refuses a mistyped one', () => {
    const value = json(sampleJobMatchEvent());
    (value.posting as Record<string, unknown>).minFrenchNclc = 7;
    expect(jobMatchFromJson(value).event!.posting!.minFrenchNclc).toBe(7);
    (value.posting as Record<string, unknown>).minEnglishClb = 'seven';
    expect(jobMatchFromJson(value).problems.map((p) => p.field)).toEqual(['posting.minEnglishClb']);
  });
});

describe('isRfc3339', () => {
  it.each(['2026-03-01T12:00:00Z', '2026-03-01T12:00:00.123456+05:30', '2024-02-29T23:59:59-04:00'])('accepts %s', (v) => expect(isRfc3339(v)).toBe(true));
  it.each(['2026-03-01', '2026-03-01 12:00:00Z', '2026-13-01T00:00:00Z', '2025-02-29T00:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T12:00:00', '2026-03-01T12:00:00+25:00'])(
    'refuses %s',
    (v) => expect(isRfc3339(v)).toBe(false),
  );
});

describe('jobMatchFromJson', () => {
  it('reads the proto3 JSON form of an event', () => {
    const event = sampleJobMatchEvent();
    expect(jobMatchFromJson(json(event))).toEqual({ event, problems: [] });
  });

  it('defaults a missing postedAt to ""', () => {
    const o = json(sampleJobMatchEvent());
    delete (o.posting as Record<string, unknown>).postedAt;
    expect(jobMatchFromJson(o).event?.posting?.postedAt).toBe('');
  });

  it('names every missing, mistyped and unknown field', () => {
    const o = json(sampleJobMatchEvent());
    delete o.eventId;
    o.score = '0.5';
    (o.posting as Record<string, unknown>).nocCode = 33102;
    (o.posting as Record<string, unknown>).hourlyWageCents = 12.5;
    o.noc_code = '33102';
    const { event, problems } = jobMatchFromJson(o);
    expect(event).toBeUndefined();
    expect(problems.map((p) => p.problem).sort()).toEqual(
      [
        'eventId is required',
        'score must be a number',
        'posting.nocCode must be a string',
        'posting.hourlyWageCents must be a whole number',
        'unknown field noc_code (expected eventId, batchId, pseudonym, posting, score, matchedAt)',
      ].sort(),
    );
  });

  it('refuses a record that is not an object', () => {
    expect(jobMatchFromJson([1, 2]).problems).toEqual([{ field: '', problem: 'a record must be a JSON object' }]);
  });
});

describe('parseJobMatchNdjson', () => {
  const line = (o: object) => JSON.stringify(o);

  it('returns every event in order and skips blank lines', () => {
    const text = [line(sampleJobMatchEvent({ eventId: 'a' })), '', line(sampleJobMatchEvent({ eventId: 'b' })), ''].join('\n');
    const { events, problems } = parseJobMatchNdjson(text);
    expect(problems).toEqual([]);
    expect(events.map((e) => [e.line, e.event.eventId])).toEqual([
      [1, 'a'],
      [3, 'b'],
    ]);
  });

  it('reports every bad line by number, including repeated event ids', () => {
    const text = [
      line(sampleJobMatchEvent({ eventId: 'a' })),
      '{not json',
      line(sampleJobMatchEvent({ eventId: 'b', posting: { nocCode: '123' } })),
      line(sampleJobMatchEvent({ eventId: 'a' })),
      line(sampleJobMatchEvent({ eventId: 'c', score: 2 })),
    ].join('\r\n');
    const { problems } = parseJobMatchNdjson(text);
    expect(problems).toEqual([
      { line: 2, problem: 'not valid JSON' },
      { line: 3, problem: 'posting.nocCode must be a NOC 2021 code of exactly 5 digits' },
      { line: 4, problem: 'eventId repeats the eventId of line 1' },
      { line: 5, problem: 'score must be a number from 0 to 1' },
    ]);
  });

  it('refuses an empty file', () => {
    expect(parseJobMatchNdjson('\n\n').problems).toEqual([{ line: 0, problem: 'the file holds no events' }]);
  });
});
