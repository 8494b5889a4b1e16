import { runApp, type AppName } from '@passerelle/testing';

const baseEnv = {
  KAFKA_BROKERS: '127.0.0.1:9',
  PASSERELLE_REGISTRY: '/nonexistent/registry.json',
  PASSERELLE_SECRETS_DIR: '/tmp/passerelle-unused-secrets',
};

describe('every app validates its configuration at start', () => {
  const apps: AppName[] = ['gateway', 'consent-audit', 'job-match-consumer'];

  it.each(apps)('%s refuses a malformed DATABASE_URL with one line naming it', async (app) => {
    const { code, stdout, stderr } = await runApp(app, [], { ...baseEnv, DATABASE_URL: 'mysql://nope' });
    expect(code).toBe(78);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`${app}: configuration error: DATABASE_URL is malformed: must be a postgres://user@host:port/database URL`);
  });

  it.each(apps)('%s refuses a missing DATABASE_URL with one line naming it', async (app) => {
    const { code, stderr } = await runApp(app, [], baseEnv);
    expect(code).toBe(78);
    expect(stderr.trim()).toBe(`${app}: configuration error: DATABASE_URL is missing`);
  });

  it('names a malformed KAFKA_BROKERS too', async () => {
    const { code, stderr } = await runApp('job-match-consumer', [], { ...baseEnv, DATABASE_URL: 'postgres://u@h:5432/d', KAFKA_BROKERS: 'nohostport' });
    expect(code).toBe(78);
    expect(stderr.trim()).toBe('job-match-consumer: configuration error: KAFKA_BROKERS is malformed: must be host:port');
  });
});
