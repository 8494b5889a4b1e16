import type { Logger } from '@passerelle/logger';

/** A lock held for as long as `lost` has not aborted. */
export interface HeldLock {
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * The election's storage: one holder at a time. `acquire` resolves once it holds the lock (or
 * fails); when another holds it, it calls `waiting` once and keeps waiting until `cancel`.
 */
export interface RoleLock {
  acquire(cancel: AbortSignal, waiting: () => void): Promise<HeldLock>;
}

/**
 * The work only the writer does. `begin` is called once the lock is held, with the mastership
 * signal: it aborts when the lock is lost or the process shuts down, and the work must stop
 * writing then. `end` is awaited after that, before the lock is released.
 */
export interface WriterDuty {
  begin(mastership: AbortSignal): Promise<void>;
  end(how: { shutdown: boolean }): Promise<void>;
}

export type Role = 'writer' | 'standby' | 'stopped';

export interface WriterRoleOptions {
  /** wait after a failed attempt (the database unreachable, `begin` failed) before the next */
  retryMs?: number;
  onRole?: (role: Role) => void;
}

export const DEFAULT_RETRY_MS = 1000;

/**
 * Who writes, kept apart from the writing (Trillian's election and mastership context): campaign
 * for the lock, hand the duty a signal for as long as it is held, take it back when it is lost,
 * campaign again. A standby waits inside `acquire`, so it takes over as soon as the lock is free.
 */
export class WriterRole {
  private current: Role = 'standby';
  private readonly shutdown = new AbortController();
  private campaign: Promise<void> | undefined;

  constructor(
    private readonly lock: RoleLock,
    private readonly duty: WriterDuty,
    private readonly logger: Logger,
    private readonly opts: WriterRoleOptions = {},
  ) {}

  get role(): Role {
    return this.current;
  }

  /** Starts campaigning; resolves once this instance is the writer or has started waiting as standby. */
  start(): Promise<void> {
    let settled: () => void = () => undefined;
    const firstRound = new Promise<void>((r) => (settled = r));
    this.campaign = this.run(settled);
    return firstRound;
  }

  /** Gives the role up: the duty ends (shutdown: true), then the lock is released. */
  async stop(): Promise<void> {
    this.shutdown.abort();
    await this.campaign;
    this.set('stopped');
  }

  private async run(firstRoundDone: () => void) {
    const stopping = this.shutdown.signal;
    let announcedStandby = false;
    while (!stopping.aborted) {
      let held: HeldLock;
      try {
        held = await this.lock.acquire(stopping, () => {
          if (!announcedStandby) this.logger.warn('another consent-audit instance is the ledger writer (it holds the writer lock): this instance serves ledger reads, refuses appends, and takes the role when that lock is free');
          announcedStandby = true;
          // The standby's wait is open-ended: start-up does not wait for it.
          firstRoundDone();
        });
      } catch (err) {
        if (stopping.aborted) break;
        this.logger.error({ err }, 'could not campaign for the ledger writer role; retrying');
        firstRoundDone();
        await pause(this.opts.retryMs ?? DEFAULT_RETRY_MS, stopping);
        continue;
      }
      announcedStandby = false;
      const mastership = AbortSignal.any([held.lost, stopping]);
      try {
        await this.duty.begin(mastership);
      } catch (err) {
        this.logger.error({ err }, 'won the writer lock but could not start writing; releasing it and retrying');
        await held.release();
        firstRoundDone();
        await pause(this.opts.retryMs ?? DEFAULT_RETRY_MS, stopping);
        continue;
      }
      this.set('writer');
      firstRoundDone();
      await aborted(mastership);
      this.set(stopping.aborted ? 'stopped' : 'standby');
      await this.duty.end({ shutdown: stopping.aborted }).catch((err) => this.logger.error({ err }, 'the ledger writer did not stop cleanly'));
      await held.release();
    }
    firstRoundDone();
  }

  private set(role: Role) {
    if (role === this.current) return;
    this.current = role;
    this.opts.onRole?.(role);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((r) => signal.addEventListener('abort', () => r(), { once: true }));
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      r();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
