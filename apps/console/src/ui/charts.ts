import type { Series } from '../core/analysis';
import { formatTime, lang, t } from '../i18n';
import { h, s } from './dom';

/** Colours with at least 3:1 contrast against white (WCAG 1.4.11), told apart by pattern of order in the legend too. */
const PALETTE = ['#1f5aa6', '#b3401a', '#2b7a3d', '#7a3ea1', '#8a6d00', '#0f7173', '#a3214f', '#4d4d4d'];

export function colour(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** Stacked bars of counts per key over time, with a legend and the same figures as a table. */
export function stackedBars(title: string, series: Series): HTMLElement {
  const figure = h('figure', { className: 'chart' }, h('figcaption', {}, title));
  if (!series.buckets.length) return (figure.append(h('p', {}, t('noData'))), figure);
  const W = 640;
  const H = 220;
  const pad = { l: 40, r: 10, t: 10, b: 40 };
  const totals = series.buckets.map((_, i) => series.rows.reduce((n, r) => n + r.counts[i], 0));
  const max = Math.max(1, ...totals);
  const bw = (W - pad.l - pad.r) / series.buckets.length;
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, className: 'chart-svg' });
  svg.append(s('line', { x1: pad.l, x2: W - pad.r, y1: y(0), y2: y(0), stroke: '#333' }));
  svg.append(s('text', { x: pad.l - 6, y: y(max) + 4, 'text-anchor': 'end', className: 'axis' }, String(max)));
  svg.append(s('text', { x: pad.l - 6, y: y(0) + 4, 'text-anchor': 'end', className: 'axis' }, '0'));
  series.buckets.forEach((b, i) => {
    let acc = 0;
    series.rows.forEach((row, r) => {
      const v = row.counts[i];
      if (!v) return;
      svg.append(
        s('rect', { x: pad.l + i * bw + 2, width: Math.max(1, bw - 4), y: y(acc + v), height: y(acc) - y(acc + v), fill: colour(r) }, s('title', {}, `${row.key}: ${v} (${formatTime(b)})`)),
      );
      acc += v;
    });
    if (i === 0 || i === series.buckets.length - 1 || series.buckets.length <= 6) {
      const label = new Intl.DateTimeFormat(lang() === 'fr' ? 'fr-CA' : 'en-CA', series.bucketMs >= 86_400_000 ? { month: 'short', day: 'numeric' } : { hour: '2-digit', minute: '2-digit' }).format(b);
      // The first and last labels are anchored inside the plot so they are never clipped.
      const last = i === series.buckets.length - 1 && series.buckets.length > 1;
      const x = i === 0 ? pad.l : last ? W - pad.r : pad.l + i * bw + bw / 2;
      svg.append(s('text', { x, y: H - pad.b + 16, 'text-anchor': i === 0 ? 'start' : last ? 'end' : 'middle', className: 'axis' }, label));
    }
  });
  const legend = h('ul', { className: 'legend' }, ...series.rows.map((row, r) => h('li', {}, swatch(r), ` ${row.key}`)));
  const table = h(
    'table',
    {},
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('bucket')), ...series.rows.map((r) => h('th', { scope: 'col' }, r.key)), h('th', { scope: 'col' }, t('total')))),
    h('tbody', {}, ...series.buckets.map((b, i) => h('tr', {}, h('th', { scope: 'row' }, formatTime(b)), ...series.rows.map((r) => h('td', {}, r.counts[i])), h('td', {}, totals[i])))),
  );
  figure.append(svg, legend, h('details', {}, h('summary', {}, t('chartTable')), table));
  return figure;
}

/** Horizontal bars, one per label (a short code); the data table gives each its longer description. */
export function horizontalBars(title: string, rows: { label: string; description?: string; count: number }[]): HTMLElement {
  const figure = h('figure', { className: 'chart' }, h('figcaption', {}, title));
  if (!rows.length) return (figure.append(h('p', {}, t('noData'))), figure);
  const W = 640;
  const row = 26;
  const labelW = 200;
  const H = rows.length * row + 10;
  const max = Math.max(1, ...rows.map((r) => r.count));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, className: 'chart-svg' });
  rows.forEach((r, i) => {
    const w = ((W - labelW - 60) * r.count) / max;
    svg.append(s('text', { x: labelW - 8, y: i * row + 22, 'text-anchor': 'end', className: 'axis' }, r.label));
    svg.append(s('rect', { x: labelW, y: i * row + 8, width: Math.max(1, w), height: row - 8, fill: '#b3401a' }, s('title', {}, `${r.description ?? r.label}: ${r.count}`)));
    svg.append(s('text', { x: labelW + w + 6, y: i * row + 22, className: 'axis' }, String(r.count)));
  });
  const table = h(
    'table',
    {},
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('reason')), h('th', { scope: 'col' }, t('count')))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.description ?? r.label), h('td', {}, r.count)))),
  );
  figure.append(svg, h('details', {}, h('summary', {}, t('chartTable')), table));
  return figure;
}

function swatch(i: number): SVGElement {
  return s('svg', { width: 12, height: 12, viewBox: '0 0 12 12', 'aria-hidden': 'true' }, s('rect', { width: 12, height: 12, fill: colour(i) }));
}
