import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Program streams, programme-year pacing and waitlists (issue 17).
 *
 * - `program_streams`: one row per (program, stream), the lock `applyToProgram` and
 *   `withdrawApplication` take (FOR UPDATE) before reading the counters, so the cap, the year's
 *   allowance and the waitlist order hold under concurrency. `next_ticket` orders the waitlist.
 * - `program_stream_periods`: admissions in force per (program, stream, period); a period is the
 *   first day of a programme year, or `all` for an unpaced stream.
 * - `program_stream_applications`: one row per (program, subject): ADMITTED (with its period),
 *   WAITLISTED (with its ticket) or WITHDRAWN. Subjects are gateway-internal ids.
 * - `program_application_events`: append-only, one row per transition (the audit of who was
 *   admitted from the waitlist and when); `program_outbox` carries each event to Kafka
 *   (passerelle.programs.v1), written in the same transaction.
 *
 * The applications counted before streams (program_applications) are carried over as ADMITTED in
 * the implicit stream `main`, period `all`: they count against the whole cap, not against a year.
 */
export class ProgramStreams1795510000000 implements MigrationInterface {
  name = 'ProgramStreams1795510000000';

  async up(q: QueryRunner): Promise<void> {
    const ID = `'^[a-z0-9][a-z0-9-]{1,63}$'`;
    await q.query(`
      CREATE TABLE program_streams (
        program text NOT NULL CHECK (program ~ ${ID}),
        stream text NOT NULL CHECK (stream ~ ${ID}),
        admitted integer NOT NULL DEFAULT 0 CHECK (admitted >= 0),
        waitlisted integer NOT NULL DEFAULT 0 CHECK (waitlisted >= 0),
        next_ticket bigint NOT NULL DEFAULT 1,
        PRIMARY KEY (program, stream)
      )`);
    await q.query(`
      CREATE TABLE program_stream_periods (
        program text NOT NULL,
        stream text NOT NULL,
        period text NOT NULL CHECK (period = 'all' OR period ~ '^\\d{4}-\\d{2}-\\d{2}$'),
        admitted integer NOT NULL DEFAULT 0 CHECK (admitted >= 0),
        PRIMARY KEY (program, stream, period),
        FOREIGN KEY (program, stream) REFERENCES program_streams (program, stream)
      )`);
    await q.query(`
      CREATE TABLE program_stream_applications (
        program text NOT NULL,
        stream text NOT NULL,
        subject text NOT NULL CHECK (subject ~ '^i_[A-Za-z0-9_-]{22}$'),
        status text NOT NULL CHECK (status IN ('ADMITTED', 'WAITLISTED', 'WITHDRAWN')),
        period text,
        ticket bigint,
        province text CHECK (province IN ('AB', 'BC', 'MB', 'NB', 'NL', 'NS', 'NT', 'NU', 'ON', 'PE', 'QC', 'SK', 'YT')),
        applied_by text NOT NULL,
        request_jti text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        admitted_at timestamptz,
        withdrawn_at timestamptz,
        PRIMARY KEY (program, subject),
        FOREIGN KEY (program, stream) REFERENCES program_streams (program, stream),
        CHECK ((status = 'ADMITTED') = (period IS NOT NULL) OR status = 'WITHDRAWN'),
        CHECK ((status = 'WAITLISTED') <= (ticket IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX program_stream_waitlist ON program_stream_applications (program, stream, ticket) WHERE status = 'WAITLISTED'`);
    await q.query(`
      CREATE TABLE program_application_events (
        seq bigserial PRIMARY KEY,
        program text NOT NULL,
        stream text NOT NULL,
        subject text NOT NULL CHECK (subject ~ '^i_[A-Za-z0-9_-]{22}$'),
        event text NOT NULL CHECK (event IN ('APPLIED', 'WAITLISTED', 'ADMITTED_FROM_WAITLIST', 'WITHDRAWN')),
        period text,
        agency text NOT NULL,
        request_jti text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE FUNCTION program_application_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'program_application_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER program_application_events_append_only BEFORE UPDATE OR DELETE ON program_application_events
      FOR EACH ROW EXECUTE FUNCTION program_application_events_append_only()`);
    await q.query(`
      CREATE TABLE program_outbox (
        id bigserial PRIMARY KEY,
        topic text NOT NULL,
        message_key text NOT NULL,
        payload text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text
      )`);
    await q.query(`CREATE INDEX program_outbox_pending ON program_outbox (id) WHERE sent_at IS NULL`);

    // Carry over the applications counted before streams.
    await q.query(`INSERT INTO program_streams (program, stream, admitted) SELECT program, 'main', taken FROM program_counters`);
    await q.query(`INSERT INTO program_stream_periods (program, stream, period, admitted) SELECT program, 'main', 'all', taken FROM program_counters`);
    await q.query(`
      INSERT INTO program_stream_applications (program, stream, subject, status, period, province, applied_by, request_jti, applied_at, admitted_at)
      SELECT program, 'main', subject, 'ADMITTED', 'all', province, applied_by, request_jti, applied_at, applied_at FROM program_applications`);
    await q.query(`COMMENT ON TABLE program_stream_applications IS 'Claimants admitted to, waiting for or withdrawn from a program stream; subject is the gateway-internal id, never a client id.'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE program_outbox`);
    await q.query(`DROP TABLE program_application_events`);
    await q.query(`DROP FUNCTION program_application_events_append_only()`);
    await q.query(`DROP TABLE program_stream_applications`);
    await q.query(`DROP TABLE program_stream_periods`);
    await q.query(`DROP TABLE program_streams`);
  }
}
