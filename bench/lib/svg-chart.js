'use strict';
/**
 * A tiny, pure SVG line chart for the bench's curves (docs/bench/*.svg): x on a log scale (the
 * curves' x are 1, 8, 64, 256 in flight or 10^4 … 10^6 claimants), one series on the left axis
 * and optionally one on the right, each from 0 to a round maximum. No browser, no dependency:
 * the same numbers always give the same bytes.
 *
 *   lineChart({ title, xLabel, xTicks: [1, 8, 64, 256], left: { label, unit, points: [[x, y]…] }, right?: {…} })
 */

const W = 640;
const H = 360;
const M = { top: 48, right: 72, bottom: 56, left: 72 };
const COLORS = { left: '#1f6feb', right: '#d1242f' };

const escapeXml = (s) => String(s).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]);

/** 1, 2 or 5 × 10^k, at least `x` (x > 0). */
function niceCeil(x) {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x - 1e-9 * p) return m * p;
  return 10 * p;
}

/** Compact numbers for ticks and labels: 1,500 → "1.5k", 10^6 → "1M". */
function short(n) {
  const abs = Math.abs(n);
  const trim = (v) => String(+v.toFixed(2));
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e4) return `${trim(n / 1e3)}k`;
  return trim(n);
}

function lineChart({ title, xLabel, xTicks, left, right }) {
  if (!xTicks?.length) throw new Error('lineChart needs xTicks');
  const xs = xTicks.map((x) => Math.log(x));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const px = (x) => M.left + (x1 === x0 ? 0.5 : (Math.log(x) - x0) / (x1 - x0)) * (W - M.left - M.right);
  const axes = [['left', left], ...(right ? [['right', right]] : [])];
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  const bottom = H - M.bottom;
  out.push(`<line x1="${M.left}" y1="${bottom}" x2="${W - M.right}" y2="${bottom}" stroke="#333"/>`);
  for (const x of xTicks) {
    const X = px(x).toFixed(1);
    out.push(`<line x1="${X}" y1="${bottom}" x2="${X}" y2="${bottom + 5}" stroke="#333"/><text x="${X}" y="${bottom + 19}" text-anchor="middle">${escapeXml(short(x))}</text>`);
  }
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 14}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  for (const [side, s] of axes) {
    const max = niceCeil(Math.max(0, ...s.points.map(([, y]) => y)) * 1.1);
    const py = (y) => bottom - (y / max) * (bottom - M.top);
    const axisX = side === 'left' ? M.left : W - M.right;
    const dir = side === 'left' ? -1 : 1;
    out.push(`<line x1="${axisX}" y1="${M.top}" x2="${axisX}" y2="${bottom}" stroke="${COLORS[side]}"/>`);
    for (let i = 0; i <= 5; i++) {
      const y = (max * i) / 5;
      const Y = py(y).toFixed(1);
      out.push(`<line x1="${axisX}" y1="${Y}" x2="${axisX + dir * 5}" y2="${Y}" stroke="${COLORS[side]}"/><text x="${axisX + dir * 8}" y="${(+Y + 4).toFixed(1)}" text-anchor="${side === 'left' ? 'end' : 'start'}" fill="${COLORS[side]}">${escapeXml(short(y))}</text>`);
      if (side === 'left' && i > 0) out.push(`<line x1="${M.left}" y1="${Y}" x2="${W - M.right}" y2="${Y}" stroke="#eee"/>`);
    }
    const lx = side === 'left' ? 18 : W - 14;
    out.push(`<text transform="translate(${lx},${(M.top + bottom) / 2}) rotate(-90)" text-anchor="middle" fill="${COLORS[side]}">${escapeXml(`${s.label} (${s.unit})`)}</text>`);
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    out.push(`<polyline fill="none" stroke="${COLORS[side]}" stroke-width="2" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) {
      const [X, Y] = [px(x).toFixed(1), py(y).toFixed(1)];
      out.push(`<circle cx="${X}" cy="${Y}" r="3.5" fill="${COLORS[side]}"/><text x="${X}" y="${(+Y - 8).toFixed(1)}" text-anchor="middle" font-size="11" fill="${COLORS[side]}">${escapeXml(short(Math.round(y * 10) / 10))}</text>`);
    }
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

module.exports = { lineChart, niceCeil, short, escapeXml };
