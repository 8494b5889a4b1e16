import path from 'node:path';

// Plain JS beside scripts/start.js (it runs before anything is built).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { lineFormatter, logFormat } = require(path.resolve(__dirname, '../../scripts/log-lines.js')) as {
  lineFormatter(o: { format: 'json' | 'pretty'; quiet?: boolean; colour?: boolean }): (app: string, line: string) => string | undefined;
  logFormat(env: NodeJS.ProcessEnv, isTTY: boolean): 'json' | 'pretty';
};

const info = JSON.stringify({ level: 'info', time: '2026-12-01T15:03:32.000Z', app: 'gateway', pid: 7, msg: 'gateway listening', url: 'http://127.0.0.1:3000' });
const error = JSON.stringify({ level: 'error', time: '2026-12-01T15:03:33.000Z', app: 'gateway', pid: 7, msg: 'ledger append failed: answer withheld', err: { type: 'Error', message: 'connection refused', stack: 'Error: connection refused\n    at x' } });
const chatter = JSON.stringify({ level: 'info', time: '2026-12-01T15:03:31.000Z', app: 'gateway', pid: 7, context: 'InstanceLoader', msg: 'AppModule dependencies initialized' });

/** How `npm start` shows the apps' JSON log lines (scripts/log-lines.js). */
describe('npm start log lines', () => {
  it('a terminal gets pretty lines, files and CI get JSON, and LOG_FORMAT decides when set', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
  });

  it('pretty: one line an event, prefixed by its app, an error with its message (not its stack)', () => {
    const show = lineFormatter({ format: 'pretty', colour: false });
    const infoLine = show('gateway', info)!;
    expect(infoLine).toMatch(/^gateway +\| \[\d\d:\d\d:\d\d\] INFO: gateway listening \{"url":"http:\/\/127\.0\.0\.1:3000"\}$/);
    const errorLine = show('gateway', error)!;
    expect(errorLine.split('\n')).toHaveLength(1);
    expect(errorLine).toMatch(/^gateway +\| \[\d\d:\d\d:\d\d\] ERROR: ledger append failed: answer withheld: connection refused$/);
    const kafkajs = JSON.stringify({ level: 'error', time: '2026-12-01T15:14:52.000Z', app: 'consent-audit', msg: 'Response CreateTopics(key: 19, version: 3)', error: 'Topic creation errors' });
    expect(show('consent-audit', kafkajs)).toMatch(/^consent-audit +\| \[\d\d:\d\d:\d\d\] ERROR: Response CreateTopics\(key: 19, version: 3\): Topic creation errors$/);
    expect(show('gateway', chatter)).toBeUndefined();
    expect(show('gateway', 'Error: boom')).toBe(`${'gateway'.padEnd(18)} | Error: boom`);
  });

  it('JSON passes through untouched', () => {
    const show = lineFormatter({ format: 'json' });
    for (const line of [info, error, chatter]) expect(show('gateway', line)).toBe(line);
  });

  it('--quiet: errors only (and whatever is not a log line, a crash say)', () => {
    for (const format of ['json', 'pretty'] as const) {
      const show = lineFormatter({ format, quiet: true, colour: false });
      expect(show('gateway', info)).toBeUndefined();
      expect(show('gateway', chatter)).toBeUndefined();
      expect(show('gateway', error)).toMatch(/ledger append failed/);
      expect(show('gateway', 'TypeError: x is not a function')).toMatch(/TypeError/);
    }
  });
});
