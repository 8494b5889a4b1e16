import { logFormat } from './logger';

describe('log format', () => {
  it.each([
    [{}, false, 'json'],
    [{}, true, 'pretty'],
    [{ LOG_FORMAT: 'json' }, true, 'json'],
    [{ LOG_FORMAT: 'pretty' }, false, 'pretty'],
  ] as const)('env %j, terminal %s: %s', (env, tty, expected) => {
    expect(logFormat(env, tty)).toBe(expected);
  });
});
