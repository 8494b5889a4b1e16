import { DataSource } from 'typeorm';

export type ApplyStatus = 'APPLIED' | 'ALREADY_APPLIED' | 'CAP_REACHED';

export interface ApplyRequest {
  program: string;
  /** null: no cap */
  cap: number | null;
  /** gateway-internal id */
  subject: string;
  province: string | null;
  appliedBy: string;
  requestJti: string;
}

export interface ApplyResult {
  status: ApplyStatus;
  /** applications counted after this call */
  counted: number;
}

/**
 * SQL of program applications; no rules here beyond what the locking needs. Plain class (no Nest decorators, so end-to-end tests can drive it on a real database without
 * loading Nest): the module provides it with a factory over the app's DataSource.
 */
export class ProgramsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Counts a claimant against a program, at most once, never past the cap. The per-program
   * counter row is locked (FOR UPDATE) for the whole check-and-insert, so concurrent calls for
   * the same program run one after the other: with one place left exactly one of them gets it.
   */
  async apply(a: ApplyRequest): Promise<ApplyResult> {
    return this.dataSource.transaction(async (m) => {
      await m.query(`INSERT INTO program_counters (program) VALUES ($1) ON CONFLICT (program) DO NOTHING`, [a.program]);
      const [{ taken }]: Array<{ taken: number }> = await m.query(`SELECT taken FROM program_counters WHERE program = $1 FOR UPDATE`, [a.program]);
      const existing: unknown[] = await m.query(`SELECT 1 FROM program_applications WHERE program = $1 AND subject = $2`, [a.program, a.subject]);
      if (existing.length > 0) return { status: 'ALREADY_APPLIED', counted: taken };
      if (a.cap !== null && taken >= a.cap) return { status: 'CAP_REACHED', counted: taken };
      await m.query(
        `INSERT INTO program_applications (program, subject, province, applied_by, request_jti) VALUES ($1, $2, $3, $4, $5)`,
        [a.program, a.subject, a.province, a.appliedBy, a.requestJti],
      );
      await m.query(`UPDATE program_counters SET taken = taken + 1 WHERE program = $1`, [a.program]);
      return { status: 'APPLIED', counted: taken + 1 };
    });
  }

  /** Applications counted, in all and per province (UNKNOWN when not recorded). */
  async uptake(program: string): Promise<{ counted: number; byProvince: Array<[string, number]> }> {
    const counter: Array<{ taken: number }> = await this.dataSource.query(`SELECT taken FROM program_counters WHERE program = $1`, [program]);
    const rows: Array<{ province: string; n: number }> = await this.dataSource.query(
      `SELECT coalesce(province, 'UNKNOWN') AS province, count(*)::int AS n FROM program_applications WHERE program = $1 GROUP BY 1 ORDER BY 1`,
      [program],
    );
    return { counted: counter[0]?.taken ?? 0, byProvince: rows.map((r) => [r.province, r.n]) };
  }
}
