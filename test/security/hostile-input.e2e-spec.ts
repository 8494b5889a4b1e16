import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, importJWK } from 'jose';
import { isNonNullType } from 'graphql';
import { testKeyring, toAgencyPseudonym, toInternalId } from '@passerelle/crypto';
import { buildJobMatchMessage, DEAD_LETTER_CODES, encodeJobMatch, sampleJobMatchEvent, signerFromPrivateJwk, signJobMatch, type JobMatchSigner, type PublisherDirectory } from '@passerelle/messaging';
import { checkRegistryText, ROLES } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, queryAsOwner, startTrustStack, type TestDatabase, type TestGateway, type TestRegistry, type TrustStack } from '@passerelle/testing';
import { checkEvent } from '../../apps/job-match-consumer/src/matches/event-check';
import { documentOf, literalOf, loadSchema, operationsOf, type Operation } from './operations';
import { usualPurpose } from './policy-table';

/**
 * Hostile input, property-based (fast-check), > 10,000 generated inputs in all:
 * - JWS headers and claims against the real gateway, and GraphQL documents from a VALIDLY signed
 *   agency (depth bombs, alias floods, fragment cycles, huge strings, wrong types, injection
 *   strings in every argument of every operation): never a 5xx, every refusal with a contract
 *   code, exactly one row in the real ledger per request, and the process still answers /health after;
 * - registry files: checkRegistryText never throws, always a registry xor problems;
 * - Kafka values and headers: the consumer's event check never throws and classifies every
 *   garbage message with a dead-letter code.
 */

const SEED = 20261123;
const CONCURRENCY = 16;
const RUNS = { jwsHttp: 1500, graphqlHttp: 3000, registry: 2500, kafkaGarbage: 2000, kafkaSigned: 1000 };

const SIGNATURE_CODES = [
  'missing_signature', 'malformed_signature', 'unknown_key', 'revoked_key', 'algorithm_not_allowed', 'bad_signature', 'issuer_mismatch',
  'audience_mismatch', 'expired', 'not_yet_valid', 'replayed_request', 'method_or_path_mismatch', 'body_digest_mismatch', 'unknown_purpose',
];
/** Refusals before GraphQL (docs/contract.md §3, and §7: the gateway's own body checks and rate limits). */
const HTTP_CODES = [...SIGNATURE_CODES, 'malformed_json', 'unsupported_media_type', 'rate_limited'];
const GRAPHQL_CODES = ['FORBIDDEN', 'NO_AGREEMENT', 'CONSENT_REQUIRED', 'BAD_USER_INPUT', 'NOT_FOUND', 'QUERY_TOO_COMPLEX', 'CONFLICT', 'UNAVAILABLE', 'INVALID_CURSOR'];

const INJECTIONS = [
  "' OR 1=1 --", "'; DROP TABLE claimants; --", '" OR ""="', '$where', '{"$where": "sleep(1000)"}', '{"$gt": ""}', '../../etc/passwd', '..\\..\\windows\\win.ini',
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '${jndi:ldap://127.0.0.1/a}', '{{7*7}}', '%00', '\u0000', '\r\nX-Injected: 1', '__proto__', 'constructor',
  '1e309', '-0', 'NaN', '9'.repeat(400), 'i_AAAAAAAAAAAAAAAAAAAAAA', '\uD800', '😀'.repeat(50), 'SELECT pg_sleep(10)', 'x'.repeat(70_000),
];

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('base64url');
const b64u = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Only a hang fails a test here, never slowness: how fast the gateway answers is measured by `npm run bench` (BENCHMARKS.md). */
const HANG_MS = 600_000;

async function pool<T>(items: T[], work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]);
  }));
}

describe('hostile input', () => {
  let db: TestDatabase;
  let stack: TrustStack;
  let registry: TestRegistry;
  let gw: TestGateway;
  const AGENCY = 'qc.hostile';

  /** rows in the real ledger, as stored */
  // Audited exchanges, not rows: a mutation document writes an intent and one outcome per root
  // field, all under the exchange's one request id (docs/ledger.md "Mutations").
  const ledgerRows = async () => (await queryAsOwner<{ n: number }>(db.url, `SELECT count(DISTINCT canonical::jsonb->>'request_id')::int AS n FROM ledger_entries`))[0].n;

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('hostile'),
      // one agency holding every role, so that every operation's guard lets the hostile arguments through
      createTestRegistry({ agencies: [{ id: AGENCY, roles: [...ROLES], extraKeys: [{ status: 'revoked' }, { alg: 'ES256', status: 'active' }] }, { id: 'ca.other', roles: ['CONSUMER'] }] }),
    ]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { LOG_LEVEL: 'warn', GATEWAY_UNVERIFIED_PER_MINUTE: '100000' } /* one entry per refusal here; the per-source limit and its aggregate entries have their own suite (test/exchange) */ });
    gw = stack.gateway;
  }, HANG_MS);

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  /** Sends raw requests; collects every answer that breaks the rules. */
  // headers may be a thunk: a request validly signed just before it is sent, so its signature's
  // 60 s lifetime never runs out while thousands queue on a loaded machine
  async function sendAll(requests: Array<{ method: string; path: string; headers: Record<string, string> | (() => Promise<Record<string, string>>); body?: string; label: string }>) {
    const wrong: string[] = [];
    const before = await ledgerRows();
    await pool(requests, async (r) => {
      let status: number;
      let text: string;
      try {
        const headers = typeof r.headers === 'function' ? await r.headers() : r.headers;
        const res = await fetch(gw.url + r.path, { method: r.method, headers, body: r.body });
        status = res.status;
        text = await res.text();
      } catch (e) {
        wrong.push(`${r.label}: no answer (${(e as Error).message})`);
        return;
      }
      let json: { error?: { code?: string }; data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } | undefined;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (status >= 500) return void wrong.push(`${r.label}: HTTP ${status} ${text.slice(0, 200)}`);
      if (status >= 400 && json?.errors === undefined) {
        if (!json?.error?.code || !HTTP_CODES.includes(json.error.code)) wrong.push(`${r.label}: HTTP ${status} without a contract code: ${text.slice(0, 200)}`);
        return;
      }
      for (const e of json?.errors ?? []) {
        const code = e.extensions?.code;
        if (!code || !GRAPHQL_CODES.includes(code)) wrong.push(`${r.label}: GraphQL error ${code}: ${text.slice(0, 300)}`);
      }
      if (!json || (json.errors === undefined && json.data === undefined)) wrong.push(`${r.label}: HTTP ${status} not a GraphQL answer: ${text.slice(0, 200)}`);
    });
    // zero unaudited attempts: one ledger row per request on a signed route, committed before
    // its answer left (so counted once every answer is in, without waiting)
    return { wrong, audited: (await ledgerRows()) - before };
  }

  async function stillHealthy() {
    expect(gw.app.proc.exitCode).toBeNull();
    expect(gw.app.proc.signalCode).toBeNull();
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBeLessThan(500);
  }

  it(`answers ${RUNS.jwsHttp} hostile signatures and claims with 401 and a contract code, each audited`, async () => {
    const key = registry.activeKey(AGENCY);
    const kids = [...registry.keys.keys(), 'nobody', '', '../../etc/passwd'];
    const now = Math.floor(Date.now() / 1000);
    const hostileString = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...INJECTIONS.filter((s) => s.length < 500)));
    const claims = fc.record(
      {
        iss: fc.oneof(fc.constantFrom(AGENCY, 'ca.other'), hostileString),
        aud: fc.oneof(fc.constant(registry.document.gatewayId), hostileString),
        iat: fc.oneof(fc.integer({ min: now - 400, max: now + 400 }), fc.double(), fc.string({ maxLength: 5 }), fc.constant(Number.MAX_SAFE_INTEGER)),
        exp: fc.oneof(fc.integer({ min: now - 400, max: now + 700 }), fc.constant(-1), fc.constant(null)),
        jti: fc.oneof(fc.base64String({ minLength: 24, maxLength: 24 }).map((s) => s.replace(/[=+/]/g, 'A')), hostileString),
        htm: fc.constantFrom('POST', 'GET', 'post', 'DELETE'),
        htu: fc.constantFrom('/graphql', '/graphql?x', '/audit/sth', '/../graphql'),
        purpose: fc.oneof(fc.constantFrom('STATISTICS', 'AUDIT_REVIEW', 'statistics'), hostileString),
        body_sha256: fc.oneof(fc.constant(sha('{}')), hostileString),
      },
      { requiredKeys: [] },
    );
    const header = fc.record({
      alg: fc.oneof(fc.constantFrom('EdDSA', 'ES256', 'none', 'HS256', 'RS256', 'eddsa'), hostileString),
      kid: fc.constantFrom(...kids),
      typ: fc.constantFrom('agency-request+jwt', 'JWT', ''),
      extra: fc.option(fc.constantFrom('crit', 'jku', 'jwk', 'x5u', 'b64'), { nil: undefined }),
    });
    const signature = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.constant('a'.repeat(9000)),
      fc.tuple(header, claims, fc.base64String({ maxLength: 90 })).map(([h, c, s]) => {
        const { extra, ...rest } = h;
        return `${b64u(extra ? { ...rest, [extra]: 'x' } : rest)}.${b64u(c)}.${s.replace(/=/g, '')}`;
      }),
      // really signed by the agency's key, with hostile claims (audience always wrong: never a valid request)
      claims.map((c) => ({ signed: { ...c, aud: `${registry.document.gatewayId}-not` } })),
    );
    const samples = fc.sample(fc.record({ signature, body: fc.oneof(fc.constant('{}'), fc.string({ maxLength: 200 })), path: fc.constantFrom('/graphql', '/audit/sth'), method: fc.constantFrom('POST', 'GET') }), { numRuns: RUNS.jwsHttp, seed: SEED });
    const requests = await Promise.all(
      samples.map(async (s, i) => {
        let sig: string;
        if (typeof s.signature === 'string') sig = s.signature;
        else {
          sig = await new CompactSign(Buffer.from(JSON.stringify(s.signature.signed)))
            .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'agency-request+jwt' })
            .sign(await importJWK(key.privateJwk, key.alg));
        }
        const headers: Record<string, string> = {};
        try {
          new Headers({ 'x-agency-signature': sig });
          headers['x-agency-signature'] = sig;
        } catch {
          headers['x-agency-signature'] = encodeURIComponent(sig);
        }
        if (s.method === 'POST') headers['content-type'] = 'application/json';
        return { method: s.method, path: s.path, headers, body: s.method === 'POST' ? s.body : undefined, label: `jws #${i}` };
      }),
    );
    const { wrong, audited } = await sendAll(requests);
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(audited).toBe(requests.length);
    await stillHealthy();
  }, HANG_MS);

  it(`answers ${RUNS.graphqlHttp} hostile GraphQL documents from a validly signed agency without a 5xx, each audited`, async () => {
    const schema = loadSchema();
    const operations = operationsOf(schema);
    const purposeOf = (op: Operation) => usualPurpose(`${op.kind}:${op.name}`);
    const hostile = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
      { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 100_000 }).map((n) => 'A'.repeat(n)) },
    );
    /** a literal for any scalar: hostile strings even where an Int is expected (wrong types), numbers at the edges */
    const leafOf = (s: string, pick: number) =>
      pick % 3 === 0 && (s === 'Int' || s === 'Float') ? String([2 ** 31, -1, 0, 1e308, 2 ** 53 + 1][pick % 5]) : JSON.stringify(s);
    const operationDoc = fc.tuple(fc.constantFrom(...operations), fc.array(hostile, { minLength: 1, maxLength: 8 }), fc.nat(), fc.boolean()).map(([op, values, pick, asVariables]) => {
      let n = 0;
      const leaf = (scalar: string) => leafOf(values[n++ % values.length], pick + n);
      if (!asVariables) {
        // every argument, every input field, hostile
        return { op, query: documentOf(op, (a) => literalOf(a.type, (s) => (s === 'Int' || s === 'Float' ? leaf(s) : JSON.stringify(values[n++ % values.length])), true)) };
      }
      // the same through variables, with values of any JSON type
      const vars: Record<string, unknown> = {};
      const defs = op.field.args.map((a) => `$${a.name}: ${a.type.toString()}`);
      for (const a of op.field.args) vars[a.name] = pick % 4 === 0 ? values[0] : pick % 4 === 1 ? { $where: values[0], __proto__: { polluted: true } } : pick % 4 === 2 ? [values[0], 1, null] : isNonNullType(a.type) ? null : 12345678901234567890;
      const call = op.field.args.length ? `(${op.field.args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
      const sel = documentOf(op, () => undefined).replace(/^[a-z]+ \{ [A-Za-z]+/, '').replace(/ \}$/, '');
      return { op, query: `${op.kind}${defs.length ? `(${defs.join(', ')})` : ''} { ${op.name}${call}${sel} }`, variables: vars };
    });
    const depthBomb = fc.integer({ min: 5, max: 3000 }).map((d) => ({ op: undefined, query: `{ ${'claimants { nodes { withheld { '.repeat(Math.ceil(d / 3))}field${' } }'.repeat(Math.ceil(d / 3) * 1)} }` }));
    const nestedUnknown = fc.integer({ min: 2, max: 5000 }).map((d) => ({ op: undefined, query: `{ ${'a { '.repeat(d)}b${' }'.repeat(d)} }` }));
    const aliasFlood = fc.integer({ min: 10, max: 5000 }).map((n) => ({ op: undefined, query: `{ ${Array.from({ length: n }, (_, i) => `a${i}: gatewayInfo { contractVersion }`).join(' ')} }` }));
    const fragmentCycle = fc.integer({ min: 2, max: 50 }).map((n) => ({
      op: undefined,
      query: `query { ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { gatewayInfo { contractVersion } ...F${(i + 1) % n} }`).join(' ')}`,
    }));
    const fragmentFanout = fc.integer({ min: 2, max: 12 }).map((n) => ({
      op: undefined,
      query: `query { ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ${i + 1 < n ? `...F${i + 1} ...F${i + 1}` : 'gatewayInfo { contractVersion }'} }`).join(' ')}`,
    }));
    const manyOperations = fc.integer({ min: 2, max: 200 }).map((n) => ({ op: undefined, query: Array.from({ length: n }, (_, i) => `query Q${i} { gatewayInfo { contractVersion } }`).join(' ') }));
    const garbageText = fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom(...INJECTIONS)).map((q) => ({ op: undefined, query: q }));
    const pageBomb = fc.integer({ min: -5, max: 2 ** 31 - 1 }).map((first) => ({ op: undefined, query: `{ claimants(first: ${first}) { nodes { pseudonym claimStatus province withheld { field reason } } } }` }));
    const document = fc.oneof(
      { weight: 8, arbitrary: operationDoc },
      { weight: 1, arbitrary: depthBomb },
      { weight: 1, arbitrary: nestedUnknown },
      { weight: 1, arbitrary: aliasFlood },
      { weight: 1, arbitrary: fragmentCycle },
      { weight: 1, arbitrary: fragmentFanout },
      { weight: 1, arbitrary: manyOperations },
      { weight: 1, arbitrary: garbageText },
      { weight: 1, arbitrary: pageBomb },
    );
    /** body shapes: the document as JSON, or JSON of the wrong shape */
    const body = fc.tuple(document, fc.nat(20)).map(([d, shape]) => {
      const purpose = d.op ? purposeOf(d.op) : 'STATISTICS';
      const v = 'variables' in d ? (d as { variables: unknown }).variables : undefined;
      if (shape === 0) return { purpose, text: JSON.stringify([{ query: d.query }, { query: d.query }]) };
      if (shape === 1) return { purpose, text: JSON.stringify({ query: 42, variables: 'x' }) };
      if (shape === 2) return { purpose, text: JSON.stringify({ query: d.query, variables: [1, 2], operationName: { $ne: null } }) };
      if (shape === 3) return { purpose, text: `${JSON.stringify({ query: d.query })}garbage` };
      return { purpose, text: JSON.stringify(v === undefined ? { query: d.query } : { query: d.query, variables: v }) };
    });
    const samples = fc.sample(body, { numRuns: RUNS.graphqlHttp, seed: SEED + 1 });
    const client = registry.client(AGENCY, gw.url);
    const { signRequest } = await import('@passerelle/client');
    const key = registry.activeKey(AGENCY);
    const requests = samples.map((s, i) => ({
      method: 'POST',
      path: '/graphql',
      headers: async () => (await signRequest({ agency: AGENCY, kid: key.kid, privateKey: key.privateJwk, alg: key.alg, gatewayId: registry.document.gatewayId, method: 'POST', path: '/graphql', body: s.text, purpose: s.purpose })).headers,
      body: s.text,
      label: `graphql #${i} (${s.purpose}) ${s.text.slice(0, 120)}`,
    }));
    const { wrong, audited } = await sendAll(requests);
    // summarised by operation and code first, then a few whole examples
    const summary = [...new Set(wrong.map((w) => `${/(mutation|query)[^{]*\{ *([A-Za-z]+)/.exec(w)?.[2] ?? '?'} → ${/(GraphQL error \S+|HTTP \d+)/.exec(w)?.[1]}`))];
    expect({ summary, examples: wrong.slice(0, 5) }).toEqual({ summary: [], examples: [] });
    expect(audited).toBe(requests.length);
    // and a normal request still works afterwards, answered and signed
    const after = await client.graphql('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS');
    expect({ status: after.status, signed: after.auditSeq !== undefined }).toEqual({ status: 200, signed: true });
    await stillHealthy();
  }, HANG_MS);

  it(`checkRegistryText never throws on ${RUNS.registry} hostile registry files: a registry or its problems, never both`, () => {
    const valid = registry.document;
    const mutatedDocument = fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat(), fc.constantFrom('gatewayId', 'agencies', 'agreements', 'programs', 'consentRequiredFor', 'agency', 'key', 'rateLimit', 'extra')).map(([junk, i, where]) => {
      const doc = JSON.parse(JSON.stringify(valid)) as Record<string, unknown> & { agencies: Array<Record<string, unknown> & { keys: Array<Record<string, unknown>> }> };
      const agency = doc.agencies[i % doc.agencies.length];
      if (where === 'agency') agency[['id', 'names', 'roles', 'jurisdiction', 'keys'][i % 5]] = junk;
      else if (where === 'key') agency.keys[0][['kty', 'crv', 'x', 'kid', 'alg', 'status', 'd'][i % 7]] = junk;
      else if (where === 'rateLimit') agency.rateLimit = i % 2 ? { requestsPerMinute: junk } : junk;
      else (doc as Record<string, unknown>)[where] = junk;
      return JSON.stringify(doc, null, i % 3);
    });
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      mutatedDocument,
      mutatedDocument.map((t) => t.slice(0, Math.floor(t.length / 2))),
      fc.integer({ min: 1, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
      fc.constantFrom('', 'null', '{}', '{"__proto__":{"polluted":true}}', '{"gatewayId":"gw","agencies":{},"agreements":[],"programs":[]}', '\uFEFF{}'),
    );
    let registries = 0;
    fc.assert(
      fc.property(text, (t) => {
        const result = checkRegistryText(t, 'hostile.json');
        expect(Array.isArray(result.problems)).toBe(true);
        expect(result.registry === undefined).toBe(result.problems.length > 0);
        for (const p of result.problems) expect(typeof p.message).toBe('string');
        if (result.registry) registries++;
      }),
      { numRuns: RUNS.registry, seed: SEED + 2 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // the property really meets both outcomes
    expect(registries).toBeGreaterThan(0);
    expect(checkRegistryText(JSON.stringify(valid)).registry).toBeDefined();
  });

  describe('Kafka job-match events', () => {
    const keyring = testKeyring(11);
    const subject = toInternalId(keyring, 'HOSTILE-1');
    const pseudonym = toAgencyPseudonym(keyring, 'ca.esdc', subject);
    let signer: JobMatchSigner;
    let publishers: PublisherDirectory;

    beforeAll(async () => {
      const { generateAgencyKey } = await import('@passerelle/testing');
      const k = await generateAgencyKey('ca.esdc', 'EdDSA', 'esdc-h');
      signer = await signerFromPrivateJwk('ca.esdc', k.privateJwk);
      publishers = { isPublisher: (a) => a === 'ca.esdc', key: (a, kid) => (a === 'ca.esdc' && kid === 'esdc-h' ? { jwk: k.publicJwk, alg: 'EdDSA', status: 'active' } : undefined) };
    });

    const bytes = fc.oneof(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.string({ maxLength: 100 }).map((s) => Buffer.from(s)), fc.constant(null));
    const headerValue = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.constantFrom('ca.esdc', '', ...INJECTIONS.slice(0, 12)),
      fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
      fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
      fc.constant(undefined),
    );

    it(`classifies ${RUNS.kafkaGarbage} garbage messages (values, keys, headers) with a dead-letter code, never throwing`, async () => {
      const jwsLike = fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.base64String({ maxLength: 80 })).map(([h, p, s]) => `${b64u(h)}.${b64u(p)}.${s}`);
      const message = fc.record({
        key: bytes,
        value: bytes,
        headers: fc.record({ 'x-agency': headerValue, 'x-signature': fc.oneof(headerValue, jwsLike) }, { requiredKeys: [] }),
      });
      await fc.assert(
        fc.asyncProperty(message, async (m) => {
          const r = await checkEvent(m as Parameters<typeof checkEvent>[0], { publishers, keyring });
          expect(r.ok).toBe(false);
          if (!r.ok) expect(DEAD_LETTER_CODES).toContain(r.code);
        }),
        { numRuns: RUNS.kafkaGarbage, seed: SEED + 3 },
      );
    });

    it(`classifies ${RUNS.kafkaSigned} validly signed but hostile events: accepted only when valid, else a dead-letter code`, async () => {
      const hostileString = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...INJECTIONS.slice(0, 20)));
      const event = fc.record({
        eventId: hostileString,
        pseudonym: fc.oneof(fc.constant(pseudonym), hostileString),
        score: fc.oneof(fc.double(), fc.constant(0.5)),
        province: fc.oneof(fc.constantFrom('ON', 'QC'), hostileString),
        title: hostileString,
        wage: fc.oneof(fc.integer(), fc.constant(2500)),
        noc: fc.oneof(fc.constant('33102'), hostileString),
        garbageValue: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined }),
        keyMatches: fc.boolean(),
      });
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(event, async (e) => {
          const ev = sampleJobMatchEvent({ eventId: e.eventId, pseudonym: e.pseudonym, score: e.score, posting: { province: e.province, title: e.title, hourlyWageCents: e.wage, nocCode: e.noc } });
          let message;
          if (e.garbageValue) {
            const value = Buffer.from(e.garbageValue);
            message = { key: Buffer.from(pseudonym), value, headers: { 'x-agency': 'ca.esdc', 'x-signature': await signJobMatch(signer, e.eventId || 'x', value) } };
          } else {
            let value: Buffer;
            try {
              value = encodeJobMatch(ev);
            } catch {
              return; // not encodable: nothing a publisher could send
            }
            message = { key: Buffer.from(e.keyMatches ? ev.pseudonym : 'other'), value, headers: { 'x-agency': 'ca.esdc', 'x-signature': await signJobMatch(signer, ev.eventId || 'x', value) } };
          }
          const r = await checkEvent(message, { publishers, keyring });
          if (r.ok) {
            accepted++;
            expect(r.subject).toBe(subject);
          } else expect(DEAD_LETTER_CODES).toContain(r.code);
        }),
        { numRuns: RUNS.kafkaSigned, seed: SEED + 4 },
      );
      // the generator also produces valid events, which must pass
      expect(accepted).toBeGreaterThan(0);
      expect((await checkEvent(await buildJobMatchMessage(sampleJobMatchEvent({ pseudonym }), signer), { publishers, keyring })).ok).toBe(true);
    });
  });
});
