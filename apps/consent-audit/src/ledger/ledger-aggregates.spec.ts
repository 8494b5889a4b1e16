import { aggregateQuery, MAX_AGGREGATE_BUCKETS } from './ledger-aggregates';
import { InvalidArgument } from './ledger-errors';

const ok = { since: '2026-12-01T13:50:00.000Z', until: '2026-12-01T14:50:00.000Z', by: 'agency', bucketSeconds: 300 };

describe('Ledger.Aggregates request', () => {
  it('accepts a bounded range by one of the four dimensions', () => {
    for (const by of ['agency', 'purpose', 'decision', 'reason']) expect(aggregateQuery({ ...ok, by }).by).toBe(by);
  });

  it.each([
    [{ by: 'subjects' }, /by must be one of agency, purpose, decision, reason/],
    [{ by: 'canonical' }, /by must be one of/],
    [{ since: '' }, /since must be an ISO-8601 date-time/],
    [{ until: 'yesterday' }, /until must be an ISO-8601 date-time/],
    [{ until: ok.since }, /until must be after since/],
    [{ bucketSeconds: 0 }, /bucket_seconds must be a whole number/],
    [{ bucketSeconds: 1 }, new RegExp(`at most ${MAX_AGGREGATE_BUCKETS}`)],
  ])('refuses %j as INVALID_ARGUMENT naming the parameter', (over, message) => {
    expect(() => aggregateQuery({ ...ok, ...over })).toThrow(InvalidArgument);
    expect(() => aggregateQuery({ ...ok, ...over })).toThrow(message);
  });
});
