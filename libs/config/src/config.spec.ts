import { ConfigError, parseConfig } from './config';

describe('parseConfig', () => {
  it('applies defaults for optional variables', () => {
    const c = parseConfig(['GATEWAY_PORT', 'CONSENT_AUDIT_URL', 'LOG_LEVEL'], {});
    expect(c).toEqual({ GATEWAY_PORT: 3000, CONSENT_AUDIT_URL: '127.0.0.1:50051', LOG_LEVEL: 'info' });
  });

  it('splits KAFKA_BROKERS into host:port entries', () => {
    expect(parseConfig(['KAFKA_BROKERS'], { KAFKA_BROKERS: 'a:9092, b:9093' }).KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
  });

  it.each([
    ['DATABASE_URL', undefined, 'DATABASE_URL is missing'],
    ['DATABASE_URL', 'mysql://x/y', 'DATABASE_URL is malformed: must be a postgres://user@host:port/database URL'],
    ['DATABASE_URL', 'not a url', 'DATABASE_URL is malformed'],
    ['KAFKA_BROKERS', 'localhost', 'KAFKA_BROKERS is malformed'],
    ['GATEWAY_PORT', '70000', 'GATEWAY_PORT is malformed: must be between 1 and 65535'],
    ['GATEWAY_PORT', 'abc', 'GATEWAY_PORT is malformed'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL is malformed'],
  ] as const)('names %s when it is %p', (name, value, message) => {
    expect(() => parseConfig([name], { [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig([name], { [name]: value })).toThrow(message);
  });
});
