import { WriterRole, type HeldLock, type Role, type RoleLock, type WriterDuty } from './writer-role';

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;

/** One in-memory lock shared by several instances: the database's advisory lock, in a test. */
class FakeLockTable {
  holder: FakeLock | undefined;
  private waiters: Array<() => void> = [];
  free() {
    this.holder = undefined;
    this.waiters.splice(0).forEach((w) => w());
  }
}

class FakeLock implements RoleLock {
  private lostCtl: AbortController | undefined;
  constructor(private readonly table: FakeLockTable) {}
  async acquire(cancel: AbortSignal, waiting: () => void): Promise<HeldLock> {
    let announced = false;
    while (this.table.holder) {
      if (cancel.aborted) throw new Error('cancelled');
      if (!announced) waiting();
      announced = true;
      await new Promise<void>((r) => {
        (this.table as unknown as { waiters: Array<() => void> }).waiters.push(r);
        cancel.addEventListener('abort', () => r(), { once: true });
      });
    }
    if (cancel.aborted) throw new Error('cancelled');
    this.table.holder = this;
    this.lostCtl = new AbortController();
    return { lost: this.lostCtl.signal, release: async () => (this.table.holder === this ? this.table.free() : undefined) };
  }
  /** The session ends under the holder (connection lost, process killed). */
  sever() {
    this.lostCtl?.abort();
    if (this.table.holder === this) this.table.free();
  }
}

function duty() {
  const log: string[] = [];
  let signal: AbortSignal | undefined;
  const d: WriterDuty & { log: string[]; signal: () => AbortSignal | undefined } = {
    log,
    signal: () => signal,
    begin: async (s) => {
      signal = s;
      log.push('begin');
    },
    end: async ({ shutdown }) => void log.push(shutdown ? 'end:shutdown' : 'end:lost'),
  };
  return d;
}

function roleWatcher() {
  const seen: Role[] = [];
  const waiters: Array<[Role, () => void]> = [];
  return {
    seen,
    onRole: (r: Role) => {
      seen.push(r);
      waiters.filter(([w]) => w === r).forEach(([, f]) => f());
    },
    next: (r: Role) => new Promise<void>((f) => waiters.push([r, f])),
  };
}

describe('WriterRole', () => {
  it('one writer at a time: the first instance writes under a live mastership signal, the second waits as standby', async () => {
    const table = new FakeLockTable();
    const a = duty();
    const b = duty();
    const ra = new WriterRole(new FakeLock(table), a, logger);
    const rb = new WriterRole(new FakeLock(table), b, logger);
    await ra.start();
    await rb.start();
    expect(ra.role).toBe('writer');
    expect(rb.role).toBe('standby');
    expect(a.signal()!.aborted).toBe(false);
    expect(b.log).toEqual([]);
    await rb.stop();
    await ra.stop();
  });

  it('writer failover: when the writer loses its lock its signal aborts and the standby takes the role', async () => {
    const table = new FakeLockTable();
    const a = duty();
    const b = duty();
    const lockA = new FakeLock(table);
    const ra = new WriterRole(lockA, a, logger);
    const wb = roleWatcher();
    const rb = new WriterRole(new FakeLock(table), b, logger, { onRole: wb.onRole });
    await ra.start();
    await rb.start();
    const bWrites = wb.next('writer');
    lockA.sever();
    await bWrites;
    expect(a.signal()!.aborted).toBe(true);
    expect(a.log).toEqual(['begin', 'end:lost']);
    expect(b.log).toEqual(['begin']);
    expect(rb.role).toBe('writer');
    expect(ra.role).toBe('standby');
    await ra.stop();
    await rb.stop();
  });

  it('killing the standby changes nothing: the writer keeps its role and its signal', async () => {
    const table = new FakeLockTable();
    const a = duty();
    const ra = new WriterRole(new FakeLock(table), a, logger);
    const rb = new WriterRole(new FakeLock(table), duty(), logger);
    await ra.start();
    await rb.start();
    await rb.stop();
    expect(ra.role).toBe('writer');
    expect(a.signal()!.aborted).toBe(false);
    expect(a.log).toEqual(['begin']);
    await ra.stop();
  });

  it('at shutdown the duty ends (shutdown) before the lock is released', async () => {
    const table = new FakeLockTable();
    const order: string[] = [];
    const lock = new FakeLock(table);
    const role = new WriterRole(
      {
        acquire: async (c, w) => {
          const held = await lock.acquire(c, w);
          return { lost: held.lost, release: async () => void order.push('release') };
        },
      },
      { begin: async () => void order.push('begin'), end: async ({ shutdown }) => void order.push(`end:${shutdown}`) },
      logger,
    );
    await role.start();
    await role.stop();
    expect(order).toEqual(['begin', 'end:true', 'release']);
    expect(role.role).toBe('stopped');
  });

  it('a writer that cannot start writing releases the lock and campaigns again', async () => {
    const table = new FakeLockTable();
    let attempts = 0;
    const w = roleWatcher();
    const role = new WriterRole(
      new FakeLock(table),
      {
        begin: async () => {
          if (++attempts === 1) throw new Error('tail unreadable');
        },
        end: async () => undefined,
      },
      logger,
      { retryMs: 1, onRole: w.onRole },
    );
    const writes = w.next('writer');
    await role.start();
    await writes;
    expect(attempts).toBe(2);
    await role.stop();
  });
});
