import type { Evidence } from './evidence';

/** The latest checkpoint a witness cosigned for one log. */
export interface CosignedCheckpoint {
  size: number;
  /** base64 root hash */
  rootHash: string;
  /** checkpoint text + the log signatures the witness verified + its own cosignature */
  note: string;
  /** the cosignature's timestamp (POSIX seconds) */
  cosignedAt: number;
}

/** Everything a witness keeps about one log, keyed by origin. */
export interface LogRecord {
  origin: string;
  latest?: CosignedCheckpoint;
  evidence: Evidence[];
}

/** What an update closure decides: the record to write (if any) and the caller's answer. */
export interface StoreUpdate<T> {
  next?: LogRecord;
  result: T;
}

/**
 * The witness's persistence port. `update` is the only write: it reads the record of `origin`,
 * calls `f`, and durably writes `f`'s `next` before resolving, with no other update of that
 * origin in between (the spec's check-then-persist atomicity). If `f` throws, nothing is written.
 */
export interface WitnessStore {
  update<T>(origin: string, f: (current: LogRecord | undefined) => StoreUpdate<T>): Promise<T>;
  get(origin: string): Promise<LogRecord | undefined>;
  origins(): Promise<string[]>;
  close(): Promise<void>;
}

/** Serialises async work per key: each key's jobs run one after the other, keys in parallel. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(job, job);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

export function checkRecord(origin: string, next: LogRecord): LogRecord {
  if (next.origin !== origin) throw new Error('a witness record must keep the origin it is stored under');
  return structuredClone(next);
}

/** In-memory store: for tests and for embedding a witness whose state another layer persists. */
export class MemoryWitnessStore implements WitnessStore {
  private readonly records = new Map<string, LogRecord>();
  private readonly mutex = new KeyedMutex();

  update<T>(origin: string, f: (current: LogRecord | undefined) => StoreUpdate<T>): Promise<T> {
    return this.mutex.run(origin, async () => {
      const current = this.records.get(origin);
      const { next, result } = f(current ? structuredClone(current) : undefined);
      if (next) this.records.set(origin, checkRecord(origin, next));
      return result;
    });
  }

  async get(origin: string): Promise<LogRecord | undefined> {
    const r = this.records.get(origin);
    return r ? structuredClone(r) : undefined;
  }

  async origins(): Promise<string[]> {
    return [...this.records.keys()].sort();
  }

  async close(): Promise<void> {}
}
