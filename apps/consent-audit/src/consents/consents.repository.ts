import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { ConsentTerms } from '@passerelle/policy';
import type { ConsentGrant } from './consent-input';

export interface ConsentRow {
  id: string;
  subject: string;
  purpose: string;
  recipient: string;
  collectedBy: string;
  validFrom: Date;
  expiresAt: Date;
  evidenceSha256: string;
  grantedAt: Date;
  revokedAt: Date | null;
  revokedBy: string | null;
  /** RELOCATION: provinces the claimant accepts to settle in */
  destinations: string[];
}

/** A consent's terms, with who collected it (a consent counts only if the registry declares its collector). */
export type CollectedTerms = ConsentTerms & { collectedBy: string };

/** A consent event as published (never an identifier of the person). */
export interface ConsentEventMessage {
  event: 'granted' | 'revoked';
  consent_id: string;
  purpose: string;
  recipient: string;
  collected_by: string;
  at: string;
}

const COLUMNS = `id, subject, purpose, recipient, collected_by AS "collectedBy", valid_from AS "validFrom",
  expires_at AS "expiresAt", evidence_sha256 AS "evidenceSha256", granted_at AS "grantedAt",
  revoked_at AS "revokedAt", revoked_by AS "revokedBy", destinations`;

/** The consents tables, as SQL. Every change writes its history row and its outbox row in the same transaction. */
@Injectable()
export class ConsentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Inserts a grant. `check` sees the earlier consents of the same subject, purpose and recipient
   * (serialised per triple by a transaction lock, so two grants cannot both pass on a stale view)
   * and throws to refuse.
   */
  async insert(id: string, grant: ConsentGrant, grantedAt: Date, topic: string, check: (priors: ConsentRow[]) => void = () => undefined): Promise<ConsentRow> {
    return this.dataSource.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 14))`, [`${grant.subject}|${grant.purpose}|${grant.recipient}`]);
      const priors = (await m.query(`SELECT ${COLUMNS} FROM consents WHERE subject = $1 AND purpose = $2 AND recipient = $3`, [grant.subject, grant.purpose, grant.recipient])) as ConsentRow[];
      check(priors);
      const [row] = (await m.query(
        `INSERT INTO consents (id, subject, purpose, recipient, collected_by, valid_from, expires_at, evidence_sha256, granted_at, destinations)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
        [id, grant.subject, grant.purpose, grant.recipient, grant.collectedBy, grant.validFrom, grant.expiresAt, grant.evidenceSha256, grantedAt, grant.destinations],
      )) as ConsentRow[];
      await this.recordEvent(m, row, 'granted', grant.collectedBy, grantedAt, topic);
      return row;
    });
  }

  /**
   * Revokes under a row lock. `decide` sees the current row and says whether to go on: it
   * throws to refuse, returns false to leave the row as it is (already revoked: idempotent).
   */
  async revoke(id: string, revokedBy: string, at: Date, topic: string, decide: (row: ConsentRow | undefined) => boolean): Promise<ConsentRow> {
    return this.dataSource.transaction(async (m) => {
      const [current] = (await m.query(`SELECT ${COLUMNS} FROM consents WHERE id = $1 FOR UPDATE`, [id])) as ConsentRow[];
      if (!decide(current) || !current) return current;
      // (TypeORM answers [rows, count] for UPDATE … RETURNING on postgres: read the row back plainly.)
      await m.query(`UPDATE consents SET revoked_at = $2, revoked_by = $3 WHERE id = $1`, [id, at, revokedBy]);
      const [row] = (await m.query(`SELECT ${COLUMNS} FROM consents WHERE id = $1`, [id])) as ConsentRow[];
      await this.recordEvent(m, row, 'revoked', revokedBy, at, topic);
      return row;
    });
  }

  /** Who collected this subject's consents, for which purpose and recipient (Ledger.Disclosures access). */
  async collectedFor(subject: string): Promise<Array<{ collectedBy: string; purpose: string; recipient: string }>> {
    return (await this.dataSource.query(`SELECT DISTINCT collected_by AS "collectedBy", purpose, recipient FROM consents WHERE subject = $1`, [subject])) as Array<{
      collectedBy: string;
      purpose: string;
      recipient: string;
    }>;
  }

  async findBySubject(subject: string): Promise<ConsentRow[]> {
    return (await this.dataSource.query(`SELECT ${COLUMNS} FROM consents WHERE subject = $1 ORDER BY granted_at, id`, [subject])) as ConsentRow[];
  }

  /** The consents of these subjects for one purpose and recipient, in ONE query (Decide). */
  async termsFor(subjects: string[], purpose: string, recipient: string): Promise<CollectedTerms[]> {
    if (subjects.length === 0) return [];
    return (await this.dataSource.query(
      `SELECT id, subject, purpose, recipient, collected_by AS "collectedBy", valid_from AS "validFrom", expires_at AS "expiresAt", revoked_at AS "revokedAt"
         FROM consents WHERE subject = ANY($1::text[]) AND purpose = $2 AND recipient = $3`,
      [subjects, purpose, recipient],
    )) as CollectedTerms[];
  }

  /**
   * Consents of these subjects for one purpose that may be in force at `at` (any recipient), in
   * ONE read-only query (Consents.InForce). The bounds mirror libs/policy's consentInForce to the
   * second; the caller still applies consentInForce to what comes back.
   */
  async inForceTerms(subjects: string[], purpose: string, at: Date): Promise<CollectedTerms[]> {
    if (subjects.length === 0) return [];
    const nextSecond = new Date((Math.floor(at.getTime() / 1000) + 1) * 1000);
    return (await this.dataSource.query(
      `SELECT id, subject, purpose, recipient, collected_by AS "collectedBy", valid_from AS "validFrom", expires_at AS "expiresAt", revoked_at AS "revokedAt"
         FROM consents
        WHERE subject = ANY($1::text[]) AND purpose = $2
          AND valid_from < $3 AND expires_at >= $3 AND (revoked_at IS NULL OR revoked_at >= $3)`,
      [subjects, purpose, nextSecond],
    )) as CollectedTerms[];
  }

  private async recordEvent(m: EntityManager, row: ConsentRow, event: 'granted' | 'revoked', agency: string, at: Date, topic: string) {
    await m.query(`INSERT INTO consent_events (consent_id, event, agency, at) VALUES ($1, $2, $3, $4)`, [row.id, event, agency, at]);
    const message: ConsentEventMessage = {
      event,
      consent_id: row.id,
      purpose: row.purpose,
      recipient: row.recipient,
      collected_by: row.collectedBy,
      at: at.toISOString(),
    };
    await m.query(`INSERT INTO consent_outbox (topic, message_key, payload) VALUES ($1, $2, $3)`, [topic, row.id, JSON.stringify(message)]);
  }
}
