import type { ClientGrpc } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { defer, type Observable } from 'rxjs';
import type { consentAudit } from '@passerelle/contracts';
import { GrpcAuditSink } from './audit-sink';

type Entry = consentAudit.AuditEntryInput;
const entry = (jti: string): Entry => ({ jti }) as unknown as Entry;

/** A fake Ledger service: AppendBatch and Append over an in-memory log; entries with jti "bad" are invalid. */
function fakeLedger() {
  const log: string[] = [];
  const calls: string[] = [];
  const invalid = () => Object.assign(new Error('entries[1]: bad'), { code: status.INVALID_ARGUMENT });
  const ledger = {
    appendBatch: ({ entries }: { entries: Entry[] }): Observable<unknown> =>
      defer(async () => {
        calls.push(`batch:${entries.length}`);
        if (entries.some((e) => e.jti === 'bad')) throw invalid();
        return { results: entries.map((e) => ({ seq: log.push(e.jti) - 1, time: '', leafHash: '' })) };
      }),
    append: ({ entry: e }: { entry: Entry }): Observable<unknown> =>
      defer(async () => {
        calls.push('one');
        if (e.jti === 'bad') throw invalid();
        return { seq: log.push(e.jti) - 1, time: '', leafHash: '' };
      }),
  };
  const client = { getService: () => ledger } as unknown as ClientGrpc;
  return { client, log, calls };
}

describe('GrpcAuditSink', () => {
  it('sends the appends of one event-loop turn as one AppendBatch, each caller getting its own seq', async () => {
    const { client, log, calls } = fakeLedger();
    const sink = new GrpcAuditSink(client);
    sink.onModuleInit();
    const seqs = await Promise.all(['a', 'b', 'c'].map((j) => sink.append(entry(j))));
    expect(seqs).toEqual([{ seq: 0 }, { seq: 1 }, { seq: 2 }]);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(calls).toEqual(['batch:3']);
  });

  it('a lone append is one Append call', async () => {
    const { client, calls } = fakeLedger();
    const sink = new GrpcAuditSink(client);
    sink.onModuleInit();
    expect(await sink.append(entry('a'))).toEqual({ seq: 0 });
    expect(calls).toEqual(['one']);
  });

  it('when a batch is refused as invalid, retries each entry alone: only the bad one fails', async () => {
    const { client, log } = fakeLedger();
    const sink = new GrpcAuditSink(client);
    sink.onModuleInit();
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((j) => sink.append(entry(j))));
    expect(results[0]).toEqual({ status: 'fulfilled', value: { seq: 0 } });
    expect(results[1].status).toBe('rejected');
    expect(results[2]).toEqual({ status: 'fulfilled', value: { seq: 1 } });
    expect(log).toEqual(['a', 'c']);
  });
});
