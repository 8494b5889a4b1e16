'use strict';
/**
 * Which process holds which core during a measuring window: CPU ticks of every live process read
 * from /proc before and after, turned into cores (CPU-seconds ÷ wall seconds) by role.
 */
const fs = require('node:fs');

const HZ = 100; // USER_HZ on Linux

function ticksOf(statText) {
  const f = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  return { ticks: Number(f[11]) + Number(f[12]), ppid: Number(f[1]) };
}

/**
 * CPU ticks (user + system, all threads) of every live process, by pid, with its command line.
 * For the pids in `splitPids`, also `mainTicks`: the main thread's alone (the event loop of a
 * node process; the rest is its thread pool, GC helpers and workers).
 */
function cpuTicks(splitPids = []) {
  const out = new Map();
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(pid)) continue;
    try {
      const { ticks, ppid } = ticksOf(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const entry = { ticks, ppid, cmd };
      if (splitPids.includes(Number(pid))) entry.mainTicks = ticksOf(fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')).ticks;
      out.set(Number(pid), entry);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** True when `pid` descends from `ancestor` in either snapshot. */
function descendsFrom(pid, ancestor, before, after) {
  for (let p = pid, hops = 0; p > 1 && hops < 20; hops++) {
    if (p === ancestor) return true;
    p = after.get(p)?.ppid ?? before.get(p)?.ppid ?? 0;
  }
  return false;
}

/**
 * Cores held per role during a window of `seconds`: `roleOf(pid, cmd)` names each process's
 * role. A process with `mainTicks` in both snapshots is split into `<role> (main thread)` and
 * `<role> (other threads)`.
 */
function coresByRole(before, after, seconds, roleOf) {
  const out = {};
  const add = (role, ticks) => {
    if (ticks > 0) out[role] = (out[role] ?? 0) + ticks / HZ / seconds;
  };
  for (const [pid, a] of after) {
    const b = before.get(pid);
    const used = a.ticks - (b?.ticks ?? 0);
    if (used <= 0) continue;
    const role = roleOf(pid, a.cmd);
    if (a.mainTicks !== undefined && b?.mainTicks !== undefined) {
      const main = a.mainTicks - b.mainTicks;
      add(`${role} (main thread)`, main);
      add(`${role} (other threads)`, used - main);
    } else add(role, used);
  }
  for (const k of Object.keys(out)) out[k] = Number(out[k].toFixed(2));
  return out;
}

module.exports = { cpuTicks, coresByRole, descendsFrom };
