import { deadLetterTopic, parseMatchSettings } from './consumer.config';

describe('job-match consumer settings', () => {
  it('defaults to the contract topic and group, a 24 h purge grace and a 30 s session', () => {
    expect(parseMatchSettings({})).toEqual({
      JOB_MATCH_TOPIC: 'jobbank.matches.v1',
      JOB_MATCH_GROUP: 'passerelle.job-match-consumer',
      JOB_MATCH_SESSION_TIMEOUT_MS: 30_000,
      JOB_MATCH_VERIFY_THREADS: 1,
      JOB_MATCH_MAX_HOLD_SECONDS: 300,
      MATCH_PURGE_GRACE_SECONDS: 86_400,
      MATCH_PURGE_INTERVAL_SECONDS: 600,
    });
    expect(deadLetterTopic('jobbank.matches.v1')).toBe('jobbank.matches.v1.dlq');
  });

  it.each([
    [{ JOB_MATCH_TOPIC: 'bad topic' }, 'JOB_MATCH_TOPIC is malformed: must be a Kafka topic name'],
    [{ MATCH_PURGE_GRACE_SECONDS: 'soon' }, 'MATCH_PURGE_GRACE_SECONDS is malformed: must be a number of seconds'],
    [{ MATCH_PURGE_GRACE_SECONDS: '-1' }, 'MATCH_PURGE_GRACE_SECONDS is malformed: must be 0 or more'],
    [{ JOB_MATCH_SESSION_TIMEOUT_MS: '10' }, 'JOB_MATCH_SESSION_TIMEOUT_MS is malformed: must be at least 1000'],
    [{ JOB_MATCH_VERIFY_THREADS: '-1' }, 'JOB_MATCH_VERIFY_THREADS is malformed: must be 0 or more'],
    [{ JOB_MATCH_MAX_HOLD_SECONDS: '0' }, 'JOB_MATCH_MAX_HOLD_SECONDS is malformed: must be at least 1'],
    [{ JOB_MATCH_MAX_HOLD_SECONDS: 'forever' }, 'JOB_MATCH_MAX_HOLD_SECONDS is malformed: must be a number of seconds'],
  ])('names the bad variable: %j', (env, message) => {
    expect(() => parseMatchSettings(env)).toThrow(message);
  });
});
