import { Client } from 'pg';
import type { Logger } from '@passerelle/logger';
import { ADVISORY_LOCKS } from '@passerelle/persistence';
import type { HeldLock, RoleLock } from './writer-role';

/**
 * The writer role's lock: a session-level PostgreSQL advisory lock on a connection of its own.
 * A standby waits IN the database (`pg_advisory_lock` blocks) rather than polling, so it holds
 * the lock the moment the writer's session ends: when the writer process dies (even kill -9)
 * the kernel closes its socket, the server ends that session and frees the lock.
 *
 * Held until that connection ends; then `lost` aborts. Between a writer losing its connection
 * and noticing, a second writer may start: the primary key on seq and the append statement's
 * "entry seq-1 is committed" guard are the last guard against two writers.
 */
export class PgWriterLock implements RoleLock {
  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly key: number = ADVISORY_LOCKS.ledgerWriter,
  ) {}

  async acquire(cancel: AbortSignal, waiting: () => void): Promise<HeldLock> {
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 3000, keepAlive: true, application_name: 'passerelle-ledger-writer' });
    const lost = new AbortController();
    let released = false;
    const lose = (err?: Error) => {
      if (lost.signal.aborted) return;
      if (!released) this.logger.error({ err }, 'ledger writer lock connection lost: this instance stops appending');
      lost.abort(err ?? new Error('the writer lock connection ended'));
    };
    client.on('error', lose);
    client.on('end', () => lose());
    const onCancel = () => void client.end().catch(() => undefined);
    cancel.addEventListener('abort', onCancel, { once: true });
    try {
      await client.connect();
      const [{ ok }] = (await client.query('SELECT pg_try_advisory_lock($1) AS ok', [this.key])).rows as Array<{ ok: boolean }>;
      if (!ok) {
        waiting();
        await client.query('SELECT pg_advisory_lock($1)', [this.key]);
      }
    } catch (e) {
      released = true;
      await client.end().catch(() => undefined);
      throw cancel.aborted ? new Error('stopped waiting for the writer lock: shutting down') : e;
    } finally {
      cancel.removeEventListener('abort', onCancel);
    }
    return {
      lost: lost.signal,
      release: async () => {
        if (released) return;
        released = true;
        await client.query('SELECT pg_advisory_unlock($1)', [this.key]).catch(() => undefined);
        await client.end().catch(() => undefined);
      },
    };
  }
}
