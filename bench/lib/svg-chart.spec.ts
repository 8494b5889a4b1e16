// eslint-disable-next-line @typescript-eslint/no-require-imports
const { lineChart, niceCeil, short, escapeXml } = require('./svg-chart');

describe('bench SVG line chart', () => {
  const chart = () =>
    lineChart({
      title: 'Trust path <by concurrency>',
      xLabel: 'requests in flight',
      xTicks: [1, 8, 64, 256],
      left: { label: 'reads/s', unit: '/s', points: [[1, 120], [8, 700], [64, 1500], [256, 1480]] },
      right: { label: 'p99', unit: 'ms', points: [[1, 9], [8, 14], [64, 48], [256, 190]] },
    });

  it('draws one polyline and a labelled point per value on each axis, at increasing x', () => {
    const svg: string = chart();
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg.match(/<circle/g)).toHaveLength(8);
    const xs = [...svg.matchAll(/<polyline[^>]*points="([^"]+)"/g)][0][1].split(' ').map((p) => Number(p.split(',')[0]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(4);
    expect(svg).toContain('>1500<'); // 1,500 reads/s labelled
    expect(svg).toContain('Trust path &lt;by concurrency&gt;'); // text is escaped
  });

  it('is a pure function of its numbers (same bytes twice)', () => {
    expect(chart()).toBe(chart());
  });

  it('rounds axis maxima to 1, 2 or 5 × 10^k and shortens big numbers', () => {
    expect([niceCeil(0.7), niceCeil(1), niceCeil(1.2), niceCeil(3), niceCeil(420), niceCeil(5001), niceCeil(0)]).toEqual([1, 1, 2, 5, 500, 10000, 1]);
    expect([short(1), short(9999), short(10_000), short(125_000), short(1_000_000)]).toEqual(['1', '9999', '10k', '125k', '1M']);
    expect(escapeXml(`a<b & "c"`)).toBe('a&lt;b &amp; &quot;c&quot;');
  });
});
