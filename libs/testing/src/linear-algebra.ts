/**
 * The unknowns (by index) that the equations `eqs` determine uniquely: rows over `width`
 * unknowns, right-hand sides known. An unknown is determined when its unit vector lies in the
 * row space of the equations (Gaussian elimination to reduced row echelon form). For checking
 * published statistics the way a differencing attacker would.
 */
export function determinedUnknowns(eqs: number[][], width = eqs[0]?.length ?? 0): number[] {
  // RREF
  const m = eqs.map((r) => [...r]);
  const pivots: number[] = [];
  let r = 0;
  for (let c = 0; c < width && r < m.length; c++) {
    const p = m.findIndex((row, k) => k >= r && Math.abs(row[c]) > 1e-9);
    if (p === -1) continue;
    [m[r], m[p]] = [m[p], m[r]];
    const pv = m[r][c];
    m[r] = m[r].map((x) => x / pv);
    for (let k = 0; k < m.length; k++) if (k !== r && Math.abs(m[k][c]) > 1e-9) {
      const f = m[k][c];
      m[k] = m[k].map((x, t) => x - f * m[r][t]);
    }
    pivots.push(c);
    r++;
  }
  return Array.from({ length: width }, (_, u) => u).filter((u) => {
    const v = new Array(width).fill(0);
    v[u] = 1;
    pivots.forEach((c, k) => {
      const f = v[c];
      if (Math.abs(f) > 1e-9) for (let t = 0; t < width; t++) v[t] -= f * m[k][t];
    });
    return v.every((x) => Math.abs(x) < 1e-9);
  });
}
