#!/usr/bin/env node
/**
 * The "bare" server of the cost-of-trust benchmark (bench/trust.js): Fastify + Mercurius
 * answering the same `claimant(pseudonym)` query shape from the same claimant_records table,
 * with NONE of the gateway's trust layer and none of NestJS: no signature check, no replay
 * check, no agreements, no consent decision, no ledger, no response signature. It translates
 * the caller's pseudonym to the internal id with the same pseudonym code (a data-path cost the
 * gateway pays too) and answers from ONE SQL select, newest non-null value per field.
 *
 *   DATABASE_URL=… BARE_PORT=… BARE_SECRETS_DIR=… BARE_AGENCY=ca.esdc node bench/bare-server.js
 *
 * The request's X-Agency-Signature header is ignored. Prints "bare listening" when ready.
 */
'use strict';
const { installTs } = require('./lib/ts');

installTs();
const Fastify = require('fastify');
const mercurius = require('mercurius');
const { Pool } = require('pg');
const { loadPseudonymKeyring, fromAgencyPseudonym } = require('@passerelle/crypto');
const { BARE_SCHEMA, BARE_SQL, claimantFromRows } = require('./lib/bare-claimant');

async function main() {
  const agency = process.env.BARE_AGENCY || 'ca.esdc';
  const keyring = await loadPseudonymKeyring(process.env.BARE_SECRETS_DIR);
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  const resolvers = {
    Query: {
      claimant: async (_root, { pseudonym }) => {
        const subject = fromAgencyPseudonym(keyring, agency, pseudonym);
        if (!subject) throw new Error('no claimant with this pseudonym is visible to you');
        const { rows } = await pool.query(BARE_SQL, [subject]);
        if (rows.length === 0) throw new Error('no claimant with this pseudonym is visible to you');
        return claimantFromRows(pseudonym, rows);
      },
    },
  };
  // The gateway's settings that matter for speed: JIT after the first run, no GraphiQL.
  app.register(mercurius, { schema: BARE_SCHEMA, resolvers, jit: 1, graphiql: false, path: '/graphql' });
  await app.listen({ port: Number(process.env.BARE_PORT), host: '127.0.0.1' });
  process.stdout.write('bare listening\n');
  const stop = () => app.close().then(() => pool.end()).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`bare-server: ${e.stack || e}\n`);
  process.exit(1);
});
