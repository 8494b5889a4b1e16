import fc from 'fast-check';
import { atomsOf, type AuditInput, type Atoms } from './release-audit';
import { isPrimary } from './suppression';

/** atomsOf as it was before it built signatures table by table (the reference): one key per whole signature. */
function atomsBefore(input: AuditInput): Atoms {
  const R = input.memberships.length;
  const n = R === 0 ? 0 : input.memberships[0].length;
  let span = 1;
  for (const cells of input.cells) span *= cells.length + 1;
  const numeric = span < Number.MAX_SAFE_INTEGER;
  const ids = new Map<number | string, number>();
  const sigs: number[][] = [];
  const count: number[] = [];
  const sig: number[] = new Array(R);
  for (let i = 0; i < n; i++) {
    let any = false;
    let key = 0;
    let radix = 1;
    for (let r = 0; r < R; r++) {
      const m = input.memberships[r][i];
      sig[r] = m;
      if (m >= 0) any = true;
      key += (m + 1) * radix;
      radix *= input.cells[r].length + 1;
    }
    if (!any) continue;
    const id = numeric ? key : sig.join(',');
    let a = ids.get(id);
    if (a === undefined) {
      ids.set(id, (a = sigs.length));
      sigs.push([...sig]);
      count.push(0);
    }
    count[a]++;
  }
  const order = sigs.map((_, a) => a).sort((x, y) => Number(isPrimary(count[x])) - Number(isPrimary(count[y])) || x - y);
  const members: number[][][] = input.cells.map((cells) => cells.map(() => []));
  const size: number[] = [];
  order.forEach((old, a) => {
    size.push(count[old]);
    sigs[old].forEach((cell, r) => cell >= 0 && members[r][cell].push(a));
  });
  const firstSmall = size.findIndex((x) => isPrimary(x));
  return { members, size, firstSmall: firstSmall < 0 ? size.length : firstSmall };
}

describe('atomsOf numbers atoms as before (first appearance of the whole signature, small ones last)', () => {
  it('equals the one-key-per-signature reference on random memberships', () => {
    const input = fc
      .tuple(fc.integer({ min: 0, max: 300 }), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 7 }))
      .chain(([n, widths]) =>
        fc.tuple(...widths.map((w) => fc.array(fc.integer({ min: -1, max: w - 1 }), { minLength: n, maxLength: n }))).map((ms) => ({
          memberships: ms.map((m) => Int32Array.from(m)),
          cells: widths.map((w) => Array.from({ length: w }, () => ({ count: 0, published: false }))),
        })),
      );
    fc.assert(fc.property(input, (i) => expect(atomsOf(i)).toEqual(atomsBefore(i))), { numRuns: 300 });
  });
});
