import { DataSource, type EntityManager } from 'typeorm';
import { decideApplication, placesLeft, promotionsDue, type ResolvedStream, type StreamCounters } from '@passerelle/policy';

export type ApplyStatus = 'APPLIED' | 'WAITLISTED' | 'ALREADY_APPLIED' | 'CAP_REACHED' | 'CLOSED';

/** Where the repository writes program events, and how it names a claimant to the agency that applied. */
export interface ProgramEventSink {
  topic: string;
  /** the applying agency's own pseudonym for a subject (never the internal id on the wire) */
  pseudonym(agency: string, subject: string): string;
}

export interface ApplyRequest {
  stream: ResolvedStream;
  /** gateway-internal id */
  subject: string;
  province: string | null;
  appliedBy: string;
  requestJti: string;
  /** the UTC day of the request (YYYY-MM-DD): which programme year it falls in */
  day: string;
  events: ProgramEventSink;
}

export interface ApplyResult {
  status: ApplyStatus;
  reason: string;
  /** the period admitted in (APPLIED), or the current one */
  period: string | null;
  /** admissions in force in the stream after this call */
  counted: number;
  /** places this period may still admit; null: unlimited */
  remaining: number | null;
  /** 1-based place in the waitlist (WAITLISTED) */
  position: number | null;
  /** waiting claimants admitted by this call (before it was decided) */
  promoted: number;
}

export interface WithdrawRequest {
  program: string;
  streams: ReadonlyMap<string, ResolvedStream>;
  subject: string;
  by: string;
  requestJti: string;
  day: string;
  events: ProgramEventSink;
}

export type WithdrawResult = { status: 'NOT_FOUND' } | { status: 'WITHDRAWN'; stream: string; was: 'ADMITTED' | 'WAITLISTED'; promoted: number };

type ProgramEvent = 'APPLIED' | 'WAITLISTED' | 'ADMITTED_FROM_WAITLIST' | 'WITHDRAWN';

/**
 * SQL of program applications. Every change locks the stream's row (FOR UPDATE), reads the
 * counters, asks the pure policy (decideApplication, promotionsDue) and writes the rows, one
 * event row per transition and its outbox row, in the same transaction. No rule lives here.
 * Plain class (no Nest decorators) so tests drive it on a real database without Nest.
 */
export class ProgramsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async apply(a: ApplyRequest): Promise<ApplyResult> {
    const s = a.stream;
    return this.dataSource.transaction(async (m) => {
      await m.query(`INSERT INTO program_streams (program, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [s.program, s.id]);
      await this.lockStream(m, s);
      const promoted = await this.promote(m, s, a.day, a.events);
      const counters = await this.counters(m, s);
      const existing: Array<{ status: string }> = await m.query(`SELECT status FROM program_stream_applications WHERE program = $1 AND subject = $2`, [s.program, a.subject]);
      if (existing.length > 0 && existing[0].status !== 'WITHDRAWN') {
        return { status: 'ALREADY_APPLIED', reason: 'a claimant counts once per program', period: null, counted: counters.admitted, remaining: null, position: null, promoted };
      }
      const decision = decideApplication(s, a.day, counters);
      if (decision.status === 'CLOSED') return { status: 'CLOSED', reason: decision.reason, period: null, counted: counters.admitted, remaining: null, position: null, promoted };
      if (decision.status === 'CAP_REACHED') {
        return { status: 'CAP_REACHED', reason: decision.reason, period: decision.period.id, counted: counters.admitted, remaining: 0, position: null, promoted };
      }
      const upsert = `
        INSERT INTO program_stream_applications (program, stream, subject, status, period, ticket, province, applied_by, request_jti, admitted_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (program, subject) DO UPDATE SET stream = EXCLUDED.stream, status = EXCLUDED.status, period = EXCLUDED.period, ticket = EXCLUDED.ticket,
          province = EXCLUDED.province, applied_by = EXCLUDED.applied_by, request_jti = EXCLUDED.request_jti, applied_at = now(), admitted_at = EXCLUDED.admitted_at, withdrawn_at = NULL
        WHERE program_stream_applications.status = 'WITHDRAWN'`;
      if (decision.status === 'APPLIED') {
        await m.query(upsert, [s.program, s.id, a.subject, 'ADMITTED', decision.period.id, null, a.province, a.appliedBy, a.requestJti, new Date()]);
        await this.countAdmission(m, s, decision.period.id, +1);
        await this.event(m, s, a.subject, 'APPLIED', decision.period.id, a.appliedBy, a.requestJti, a.events);
        const after = { ...counters, admitted: counters.admitted + 1, admittedByPeriod: bump(counters.admittedByPeriod, decision.period.id) };
        return { status: 'APPLIED', reason: decision.reason, period: decision.period.id, counted: after.admitted, remaining: placesLeft(s, decision.period, after), position: null, promoted };
      }
      const [{ ticket }]: Array<{ ticket: string }> = await m.query(
        // (a CTE: TypeORM answers a bare UPDATE ... RETURNING with [rows, count])
        `WITH taken AS (UPDATE program_streams SET next_ticket = next_ticket + 1, waitlisted = waitlisted + 1 WHERE program = $1 AND stream = $2 RETURNING next_ticket - 1 AS ticket) SELECT ticket FROM taken`,
        [s.program, s.id],
      );
      await m.query(upsert, [s.program, s.id, a.subject, 'WAITLISTED', null, ticket, a.province, a.appliedBy, a.requestJti, null]);
      await this.event(m, s, a.subject, 'WAITLISTED', null, a.appliedBy, a.requestJti, a.events);
      return { status: 'WAITLISTED', reason: decision.reason, period: decision.period.id, counted: counters.admitted, remaining: 0, position: counters.waitlisted + 1, promoted };
    });
  }

  /** Withdraws the application the agency made; a place freed goes to the next in line, in the same transaction. */
  async withdraw(w: WithdrawRequest): Promise<WithdrawResult> {
    return this.dataSource.transaction(async (m) => {
      const found: Array<{ stream: string }> = await m.query(`SELECT stream FROM program_stream_applications WHERE program = $1 AND subject = $2`, [w.program, w.subject]);
      const s = found.length > 0 ? w.streams.get(found[0].stream) : undefined;
      if (!s) return { status: 'NOT_FOUND' };
      await this.lockStream(m, s);
      const [row]: Array<{ status: string; period: string | null; applied_by: string }> = await m.query(
        `SELECT status, period, applied_by FROM program_stream_applications WHERE program = $1 AND subject = $2 AND stream = $3`,
        [w.program, w.subject, s.id],
      );
      // Only the agency that applied may withdraw; to any other the application does not exist.
      if (!row || row.status === 'WITHDRAWN' || row.applied_by !== w.by) return { status: 'NOT_FOUND' };
      await m.query(`UPDATE program_stream_applications SET status = 'WITHDRAWN', ticket = NULL, withdrawn_at = now() WHERE program = $1 AND subject = $2`, [w.program, w.subject]);
      if (row.status === 'ADMITTED') await this.countAdmission(m, s, row.period!, -1);
      else await m.query(`UPDATE program_streams SET waitlisted = waitlisted - 1 WHERE program = $1 AND stream = $2`, [s.program, s.id]);
      await this.event(m, s, w.subject, 'WITHDRAWN', row.period, w.by, w.requestJti, w.events);
      const promoted = await this.promote(m, s, w.day, w.events);
      return { status: 'WITHDRAWN', stream: s.id, was: row.status as 'ADMITTED' | 'WAITLISTED', promoted };
    });
  }

  /**
   * Admits waiting claimants for whom `day` has places (a freed place, a new programme year), in
   * ticket order. Callers hold the stream lock. Exposed for a scheduler; apply and withdraw call it first.
   */
  async promoteDue(stream: ResolvedStream, day: string, events: ProgramEventSink): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      await m.query(`INSERT INTO program_streams (program, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [stream.program, stream.id]);
      await this.lockStream(m, stream);
      return this.promote(m, stream, day, events);
    });
  }

  private async lockStream(m: EntityManager, s: ResolvedStream) {
    await m.query(`SELECT 1 FROM program_streams WHERE program = $1 AND stream = $2 FOR UPDATE`, [s.program, s.id]);
  }

  private async counters(m: EntityManager, s: ResolvedStream): Promise<StreamCounters> {
    const [head]: Array<{ admitted: number; waitlisted: number }> = await m.query(`SELECT admitted, waitlisted FROM program_streams WHERE program = $1 AND stream = $2`, [s.program, s.id]);
    const periods: Array<{ period: string; admitted: number }> = await m.query(`SELECT period, admitted FROM program_stream_periods WHERE program = $1 AND stream = $2`, [s.program, s.id]);
    return { admitted: head?.admitted ?? 0, waitlisted: head?.waitlisted ?? 0, admittedByPeriod: new Map(periods.map((p) => [p.period, p.admitted])) };
  }

  private async promote(m: EntityManager, s: ResolvedStream, day: string, events: ProgramEventSink): Promise<number> {
    const due = promotionsDue(s, day, await this.counters(m, s));
    if (due.count === 0 || !due.period) return 0;
    const next: Array<{ subject: string; applied_by: string; request_jti: string }> = await m.query(
      `SELECT subject, applied_by, request_jti FROM program_stream_applications WHERE program = $1 AND stream = $2 AND status = 'WAITLISTED' ORDER BY ticket LIMIT $3`,
      [s.program, s.id, due.count],
    );
    for (const n of next) {
      await m.query(`UPDATE program_stream_applications SET status = 'ADMITTED', period = $3, ticket = NULL, admitted_at = now() WHERE program = $1 AND subject = $2`, [s.program, n.subject, due.period.id]);
      await this.countAdmission(m, s, due.period.id, +1);
      await this.event(m, s, n.subject, 'ADMITTED_FROM_WAITLIST', due.period.id, n.applied_by, n.request_jti, events);
    }
    await m.query(`UPDATE program_streams SET waitlisted = waitlisted - $3 WHERE program = $1 AND stream = $2`, [s.program, s.id, next.length]);
    return next.length;
  }

  private async countAdmission(m: EntityManager, s: ResolvedStream, period: string, delta: 1 | -1) {
    await m.query(`UPDATE program_streams SET admitted = admitted + $3 WHERE program = $1 AND stream = $2`, [s.program, s.id, delta]);
    if (delta < 0) {
      // (an INSERT of -1 would fail the row's check before ON CONFLICT is considered)
      await m.query(`UPDATE program_stream_periods SET admitted = admitted - 1 WHERE program = $1 AND stream = $2 AND period = $3`, [s.program, s.id, period]);
      return;
    }
    await m.query(
      `INSERT INTO program_stream_periods (program, stream, period, admitted) VALUES ($1, $2, $3, 1)
       ON CONFLICT (program, stream, period) DO UPDATE SET admitted = program_stream_periods.admitted + 1`,
      [s.program, s.id, period],
    );
  }

  private async event(m: EntityManager, s: ResolvedStream, subject: string, event: ProgramEvent, period: string | null, agency: string, jti: string, sink: ProgramEventSink) {
    const [{ seq, at }]: Array<{ seq: string; at: Date }> = await m.query(
      `INSERT INTO program_application_events (program, stream, subject, event, period, agency, request_jti) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq, at`,
      [s.program, s.id, subject, event, period, agency, jti],
    );
    // On the wire the claimant is the applying agency's own pseudonym: only that agency can link it.
    const payload = { type: `program.${event.toLowerCase()}`, seq: Number(seq), program: s.program, stream: s.id, period, agency, pseudonym: sink.pseudonym(agency, subject), at: new Date(at).toISOString() };
    await m.query(`INSERT INTO program_outbox (topic, message_key, payload) VALUES ($1, $2, $3)`, [sink.topic, `${s.program}/${s.id}`, JSON.stringify(payload)]);
  }

  /** Counts for programUptake: per month and province of the stream's applications made within `days` (all when null). */
  /** The stream's counters (admitted and waiting overall, admitted per programme year), read in `m` when given. */
  async streamCounters(program: string, stream: string, m: EntityManager = this.dataSource.manager): Promise<StreamCounters> {
    return this.counters(m, { program, id: stream } as ResolvedStream);
  }

  async uptake(program: string, stream: string, days: { from: string | null; to: string | null } | null): Promise<UptakeCounts> {
    const counters = await this.streamCounters(program, stream);
    const rows: Array<{ month: string; province: string; applications: number; admissions: number }> = await this.dataSource.query(
      `SELECT to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, coalesce(province, 'UNKNOWN') AS province,
              count(*)::int AS applications, count(*) FILTER (WHERE status = 'ADMITTED')::int AS admissions
         FROM program_stream_applications
        WHERE program = $1 AND stream = $2
          AND ($3::date IS NULL OR (applied_at AT TIME ZONE 'UTC')::date >= $3::date)
          AND ($4::date IS NULL OR (applied_at AT TIME ZONE 'UTC')::date <= $4::date)
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [program, stream, days?.from ?? null, days?.to ?? null],
    );
    return { counters, cells: rows };
  }
}

export interface UptakeCounts {
  counters: StreamCounters;
  cells: Array<{ month: string; province: string; applications: number; admissions: number }>;
}

function bump(m: StreamCounters['admittedByPeriod'], id: string): Map<string, number> {
  const out = new Map(m instanceof Map ? m : Object.entries(m));
  out.set(id, (out.get(id) ?? 0) + 1);
  return out;
}
