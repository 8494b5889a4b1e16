import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Program applications (issue 8): which claimants count against which program's cap.
 *
 * - `program_counters`: one row per program, `taken` = applications counted. `applyToProgram`
 *   locks this row (SELECT ... FOR UPDATE) before checking the cap, so two agencies racing for
 *   the last place are serialised: exactly one gets it.
 * - `program_applications`: one row per (program, subject): a claimant counts once per program.
 *   Subjects are gateway-internal ids (never a client id); `province` is kept, coarse, for
 *   `programUptake.byProvince`.
 */
export class ProgramApplications1795490000000 implements MigrationInterface {
  name = 'ProgramApplications1795490000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE program_counters (
        program text PRIMARY KEY CHECK (program ~ '^[a-z0-9][a-z0-9-]{1,63}$'),
        taken integer NOT NULL DEFAULT 0 CHECK (taken >= 0)
      )`);
    await q.query(`
      CREATE TABLE program_applications (
        program text NOT NULL REFERENCES program_counters (program),
        subject text NOT NULL CHECK (subject ~ '^i_[A-Za-z0-9_-]{22}$'),
        province text CHECK (province IN ('AB', 'BC', 'MB', 'NB', 'NL', 'NS', 'NT', 'NU', 'ON', 'PE', 'QC', 'SK', 'YT')),
        applied_by text NOT NULL,
        request_jti text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (program, subject)
      )`);
    await q.query(`COMMENT ON TABLE program_applications IS 'Claimants counted against a program cap; subject is the gateway-internal id, never a client id.'`);
    await q.query(`COMMENT ON TABLE program_counters IS 'Per-program count of applications; locked FOR UPDATE by applyToProgram so the cap holds under concurrency.'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE program_applications`);
    await q.query(`DROP TABLE program_counters`);
  }
}
