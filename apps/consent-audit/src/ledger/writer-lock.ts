import { Client } from 'pg';
import type { Logger } from '@passerelle/logger';

/** Arbitrary constant: the advisory lock whose holder is THE ledger writer of a database. */
export const LEDGER_WRITER_LOCK_KEY = 8_724_112_006;

/**
 * A session-level Postgres advisory lock on its own connection. Only the holder assigns seqs;
 * when its connection dies the lock is gone and `onLost` is told (the primary key on seq is
 * the last guard against two writers in the meantime).
 */
export class WriterLock {
  private client: Client | undefined;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  get held(): boolean {
    return this.client !== undefined;
  }

  async tryAcquire(onLost: () => void): Promise<boolean> {
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 3000, application_name: 'passerelle-ledger-writer' });
    let lost = false;
    const lose = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) {
        this.client = undefined;
        this.logger.error({ err }, 'ledger writer lock connection lost: this instance stops appending');
        onLost();
      }
    };
    client.on('error', lose);
    client.on('end', () => lose());
    try {
      await client.connect();
      const [row] = (await client.query('SELECT pg_try_advisory_lock($1) AS ok', [LEDGER_WRITER_LOCK_KEY])).rows;
      if (!row.ok) {
        lost = true;
        await client.end();
        return false;
      }
    } catch (e) {
      lost = true;
      await client.end().catch(() => undefined);
      throw e;
    }
    this.client = client;
    return true;
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await client.query('SELECT pg_advisory_unlock($1)', [LEDGER_WRITER_LOCK_KEY]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
