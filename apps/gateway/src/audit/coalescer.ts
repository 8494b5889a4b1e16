/**
 * Gathers calls made in the same turn of the event loop and sends them as one batch
 * (at most `max` items per batch); each caller gets its own result, in order, or the batch's error.
 */
export class Coalescer<T, R> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly send: (items: T[]) => Promise<R[]>,
    private readonly max = 500,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush() {
    this.scheduled = false;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.max);
      this.send(batch.map((b) => b.item)).then(
        (results) => {
          if (results.length !== batch.length) {
            const e = new Error(`batch of ${batch.length} answered with ${results.length} results`);
            batch.forEach((b) => b.reject(e));
            return;
          }
          batch.forEach((b, i) => b.resolve(results[i]));
        },
        (e) => batch.forEach((b) => b.reject(e)),
      );
    }
  }
}
