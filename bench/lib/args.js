'use strict';
/** The knobs every bench script reads: BENCH_SMOKE=1 (CI's seconds-long run) and `--<name> <number>` overrides. */
const SMOKE = process.env.BENCH_SMOKE === '1';

/** The number after `--<name>` on the command line, else `dflt`. */
function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

module.exports = { SMOKE, arg };
