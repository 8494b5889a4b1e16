import type { Logger } from '@passerelle/logger';
import type { KafkaMessage } from 'kafkajs';
import { processBounded, type PartitionWork } from './bounded-processing';
import { RefusedForGood, DependencyUnavailable, HeldTooLong, ProcessingAborted, untilDone, type RetryContext } from './dependency';
import { operationFor, requestIdFor } from './ledger-labels';

const message = (offset: number) => ({ offset: String(offset), key: null, value: Buffer.from(`e${offset}`), headers: {} }) as unknown as KafkaMessage;
const logger = { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined } as unknown as Logger;
const ctx = (over: Partial<RetryContext> = {}): RetryContext => ({ shouldContinue: () => true, heartbeat: async () => undefined, onRetry: () => undefined, sleep: async () => undefined, ...over });

/**
 * A pipeline over offsets: `poison` offsets fail as `fail` says; the dependencies are down while
 * `down()` says so. Records what was processed and what was dead-lettered, in order.
 */
function world(opts: { poison?: Map<number, 'refused' | 'stuck'>; down?: () => boolean }) {
  const done: number[] = [];
  const dead: Array<[number, string]> = [];
  const work: PartitionWork = {
    async process(_t, _p, messages, c) {
      for (const m of messages) {
        const offset = Number(m.offset);
        if (done.includes(offset)) continue;
        await untilDone(async () => {
          if (opts.down?.()) throw new DependencyUnavailable('consent-audit', new Error('UNAVAILABLE'));
          const kind = opts.poison?.get(offset);
          if (kind === 'refused') throw new RefusedForGood(3, 'refused_invalid_argument', 'entry.jti must be …');
          if (kind === 'stuck') throw new DependencyUnavailable('database', new Error('a trigger refuses this row'));
        }, c);
      }
      for (const m of messages) if (!done.includes(Number(m.offset))) done.push(Number(m.offset));
    },
    async deadLetterOne(_t, _p, m, reason) {
      dead.push([Number(m.offset), reason.code]);
      done.push(Number(m.offset));
    },
    async dependenciesAnswer() {
      return !opts.down?.();
    },
  };
  return { work, done, dead };
}

describe('no single event holds its partition (bounded processing)', () => {
  it('a valid chunk passes as a chunk', async () => {
    const w = world({});
    await processBounded(w.work, 't', 0, [0, 1, 2].map(message), ctx(), 1000, logger);
    expect(w.done).toEqual([0, 1, 2]);
    expect(w.dead).toEqual([]);
  });

  it('checks made ahead are used for the whole chunk only: once taken apart, each event is checked again on its own', async () => {
    const w = world({ poison: new Map([[1, 'refused']]) });
    const given: Array<[string[], unknown]> = [];
    const process = w.work.process.bind(w.work);
    const ahead = Promise.resolve('checked ahead');
    const spy: PartitionWork<string> = {
      ...w.work,
      async process(t, p, messages, c, checked) {
        given.push([messages.map((m) => m.offset), checked]);
        return process(t, p, messages, c);
      },
    };
    await processBounded(spy, 't', 0, [0, 1, 2].map(message), ctx(), 60_000, logger, ahead);
    expect(given[0]).toEqual([['0', '1', '2'], ahead]);
    expect(given.slice(1).every(([, checked]) => checked === undefined)).toBe(true);
    expect(w.dead).toEqual([[1, 'refused_invalid_argument']]);
  });

  it('an event consent-audit refuses for good is dead-lettered with the refusal as its code, and the partition moves on in order', async () => {
    const w = world({ poison: new Map([[2, 'refused']]) });
    await processBounded(w.work, 't', 0, [0, 1, 2, 3, 4].map(message), ctx(), 60_000, logger);
    expect(w.dead).toEqual([[2, 'refused_invalid_argument']]);
    expect(w.done).toEqual([0, 1, 2, 3, 4]);
  });

  it('an event that keeps failing past the bound while the dependencies answer is dead-lettered as held_too_long', async () => {
    const w = world({ poison: new Map([[1, 'stuck']]) });
    // it returns at all (jest's timeout would catch a retry loop): no wall-clock bound on a loaded machine
    await processBounded(w.work, 't', 0, [0, 1, 2].map(message), ctx(), 400, logger);
    expect(w.dead).toEqual([[1, 'held_too_long']]);
    expect(w.done).toEqual([0, 1, 2]);
  });

  it('an outage pauses: nothing is dead-lettered however long the bound is exceeded, and all pass once it ends', async () => {
    let probes = 0;
    let down = true;
    const w = world({ down: () => down });
    const answering = w.work.dependenciesAnswer;
    w.work.dependenciesAnswer = async () => {
      if (++probes >= 3) down = false; // the outage ends after three failed probes
      return answering();
    };
    await processBounded(w.work, 't', 0, [0, 1, 2].map(message), ctx(), 200, logger);
    expect(w.dead).toEqual([]);
    expect(w.done).toEqual([0, 1, 2]);
    expect(probes).toBeGreaterThanOrEqual(3);
  });

  it('stops at once when the consumer stops, dead-lettering nothing', async () => {
    let running = true;
    const w = world({ poison: new Map([[0, 'stuck']]) });
    w.work.dependenciesAnswer = async () => {
      running = false;
      return false;
    };
    await expect(processBounded(w.work, 't', 0, [message(0)], ctx({ shouldContinue: () => running }), 100, logger)).rejects.toBeInstanceOf(ProcessingAborted);
    expect(w.dead).toEqual([]);
  });

  it('untilDone gives up with HeldTooLong at its deadline, not before', async () => {
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new DependencyUnavailable('kafka', new Error('down')));
    };
    await expect(untilDone(failing, ctx({ deadline: Date.now() + 300 }))).rejects.toBeInstanceOf(HeldTooLong);
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});

describe('ledger labels of a job-match entry', () => {
  it('fit the ledger whatever the topic name: long names are shortened with a hash, never refused', () => {
    expect(operationFor('jobbank.matches.v1')).toBe('kafka:jobbank.matches.v1');
    expect(requestIdFor('jobbank.matches.v1', 2, '17')).toBe('jobbank.matches.v1:2:17');
    const long = 'x'.repeat(200);
    expect(operationFor(long).length).toBeLessThanOrEqual(200);
    expect(operationFor(long)).not.toBe(operationFor(`${'x'.repeat(199)}y`));
    expect(requestIdFor(long, 11, '99999999999999').length).toBeLessThanOrEqual(128);
    expect(requestIdFor(long, 11, '99999999999999')).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  });
});
