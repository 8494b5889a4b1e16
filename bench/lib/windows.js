'use strict';
/**
 * Interleaved measuring (bench/trust.js): each server is measured in several short windows, the
 * servers taking turns round after round, and a server's windows are pooled into one figure.
 * Measured one after the other in one long window each, a peer's figure also carried whatever the
 * shared box did during its own window (another session's build, PostgreSQL's checkpoint after
 * the full gateway's writes), and their ratios moved with it; taking turns spreads such drifts
 * over every server alike.
 */

/** The order of round `round`: `names` rotated by `round`, so no server always follows the same one. */
function roundOrder(names, round) {
  const k = ((round % names.length) + names.length) % names.length;
  return [...names.slice(k), ...names.slice(0, k)];
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** p50, p99 and p99.9 in ms of ascending latencies: the figures of one window or of pooled ones. */
function latencyFigures(sorted) {
  return {
    p50Ms: +percentile(sorted, 50).toFixed(2),
    p99Ms: +percentile(sorted, 99).toFixed(2),
    p999Ms: +percentile(sorted, 99.9).toFixed(2),
  };
}

/**
 * One figure from a server's windows (the load process's answers, with `latencies` and
 * `elapsed`): requests per second over the windows' summed measuring time, percentiles of every
 * request's latency together, cores (by role) weighted by each window's measuring time, and the
 * windows' own rates beside them.
 */
function poolWindows(windows) {
  if (windows.length === 0) throw new Error('poolWindows: no window');
  const elapsed = windows.reduce((s, w) => s + w.elapsed, 0);
  const completed = windows.reduce((s, w) => s + w.completed, 0);
  const lat = windows.flatMap((w) => w.latencies ?? []).sort((a, b) => a - b);
  if (lat.length !== completed) throw new Error(`poolWindows: ${lat.length} latencies for ${completed} completed requests (were latencies asked for?)`);
  let cores;
  if (windows.every((w) => w.cores)) {
    const sum = {};
    for (const w of windows) for (const [role, c] of Object.entries(w.cores)) sum[role] = (sum[role] ?? 0) + c * w.elapsed;
    cores = Object.fromEntries(Object.entries(sum).map(([role, s]) => [role, Number((s / elapsed).toFixed(2))]));
  }
  return {
    rps: Math.round(completed / elapsed),
    ...latencyFigures(lat),
    completed,
    errors: windows.reduce((s, w) => s + w.errors, 0),
    firstError: windows.find((w) => w.firstError)?.firstError ?? null,
    inlineSigned: windows.reduce((s, w) => s + w.inlineSigned, 0),
    presigned: windows.reduce((s, w) => s + w.presigned, 0),
    elapsed,
    windowRps: windows.map((w) => w.rps),
    ...(cores ? { cores } : {}),
  };
}

module.exports = { roundOrder, poolWindows, latencyFigures };
