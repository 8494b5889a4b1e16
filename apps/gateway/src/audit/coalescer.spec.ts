import { Coalescer } from './coalescer';

describe('Coalescer', () => {
  it('sends the calls of one turn as one batch and answers each caller with its own result', async () => {
    const sent: number[][] = [];
    const c = new Coalescer<number, number>(async (items) => {
      sent.push(items);
      return items.map((x) => x * 10);
    }, 4);
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => c.submit(x)));
    expect(results).toEqual([10, 20, 30, 40, 50, 60]);
    expect(sent).toEqual([[1, 2, 3, 4], [5, 6]]);
    expect(await c.submit(7)).toBe(70);
    expect(sent).toHaveLength(3);
  });

  it('fails every caller of a failed batch, and only those', async () => {
    let fail = true;
    const c = new Coalescer<number, number>(async (items) => {
      if (fail) throw new Error('ledger unavailable');
      return items;
    });
    const failed = await Promise.allSettled([c.submit(1), c.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(c.submit(3)).resolves.toBe(3);
  });

  it('refuses a batch answered with the wrong number of results', async () => {
    const c = new Coalescer<number, number>(async () => [1]);
    await expect(Promise.all([c.submit(1), c.submit(2)])).rejects.toThrow('batch of 2 answered with 1 results');
  });
});
