'use strict';
/**
 * How `npm start` shows the apps' log lines. The apps always write JSON (one object a line, the
 * format for files, CI and production); in a terminal each line is turned into one readable,
 * coloured line prefixed by its app, with pino's own prettifier (pino-pretty).
 *
 *   format 'pretty' | 'json'   (LOG_FORMAT, else pretty when stdout is a terminal)
 *   quiet                      only errors (level error/fatal) and what is not a log line at all
 */
const { prettyFactory } = require('pino-pretty');

const COLOURS = { gateway: 35, 'consent-audit': 36, 'job-match-consumer': 33, passerelle: 32 };
const WIDTH = Math.max(...Object.keys(COLOURS).map((a) => a.length));
const ERROR_LEVELS = new Set(['error', 'fatal', 50, 60]);
/** Nest's per-module and per-route start-up lines: kept in JSON, not shown to a person. */
const FRAMEWORK_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** 'pretty' when asked (LOG_FORMAT=pretty) or when writing to a terminal, unless LOG_FORMAT=json. */
function logFormat(env = process.env, isTTY = Boolean(process.stdout.isTTY)) {
  if (env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty') return env.LOG_FORMAT;
  return isTTY ? 'pretty' : 'json';
}

function prefix(app, colour) {
  const label = `${app.padEnd(WIDTH)} |`;
  return colour ? `\x1b[${COLOURS[app] ?? 34}m${label}\x1b[39m` : label;
}

/** A formatter: (app, raw line) → the text to print (no trailing newline), or undefined to hide it. */
function lineFormatter({ format = 'json', quiet = false, colour = format === 'pretty' } = {}) {
  const pretty = prettyFactory({ colorize: colour, singleLine: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,app' });
  return (app, line) => {
    let entry;
    if (line.startsWith('{')) {
      try {
        entry = JSON.parse(line);
      } catch {
        entry = undefined;
      }
    }
    if (entry && typeof entry === 'object') {
      if (quiet && !ERROR_LEVELS.has(entry.level)) return undefined;
      if (format === 'json') return line;
      if (FRAMEWORK_CHATTER.has(entry.context) && !ERROR_LEVELS.has(entry.level)) return undefined;
      // One line per event: an error shows its message here (the stack is in the JSON log).
      // (pino-pretty would print err/error objects over several lines)
      for (const key of ['err', 'error']) {
        const e = entry[key];
        if (e === undefined || e === null) continue;
        entry.msg = `${entry.msg ?? ''}: ${typeof e === 'object' ? (e.message ?? e.type ?? 'error') : String(e)}`;
        delete entry[key];
      }
      return `${prefix(app, colour)} ${pretty(entry).trimEnd()}`;
    }
    // Not a log line (a crash's stack trace, a Node warning): always shown, prefixed in a terminal.
    return format === 'pretty' ? `${prefix(app, colour)} ${line}` : line;
  };
}

module.exports = { lineFormatter, logFormat, prefix };
