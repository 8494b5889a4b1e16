/**
 * Deterministic pseudo-random numbers (mulberry32) for property-style tests, so that a failure
 * names a seed that reproduces it.
 */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  /** each element kept with probability 1/2 (possibly none) */
  const subset = <T>(xs: readonly T[]): T[] => xs.filter(() => next() < 0.5);
  /** as subset, but never empty */
  const nonEmptySubset = <T>(xs: readonly T[]): T[] => {
    const s = subset(xs);
    return s.length ? s : [pick(xs)];
  };
  return { next, int, pick, subset, nonEmptySubset };
}

export type SeededRandom = ReturnType<typeof seededRandom>;
