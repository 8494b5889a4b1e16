#!/usr/bin/env node
/**
 * The Apollo Server 4 peer of the cost-of-trust benchmark (bench/trust.js): what most teams
 * run — `@apollo/server` with its standalone HTTP server (startStandaloneServer), default
 * settings — answering the same `claimant(pseudonym)` query shape with the same SELECT as
 * bench/bare-server.js, with NONE of the gateway's trust layer: no signature check, no replay
 * check, no agreements, no consent decision, no ledger, no response signature. The pseudonym is
 * translated with the same pseudonym code (a data-path cost the gateway pays too).
 *
 *   DATABASE_URL=… APOLLO_PORT=… BARE_SECRETS_DIR=… BARE_AGENCY=ca.esdc node bench/apollo-server.js
 *
 * The request's X-Agency-Signature header is ignored. Prints "apollo listening" when ready.
 */
'use strict';
const { installTs } = require('./lib/ts');

installTs();
const { ApolloServer } = require('@apollo/server');
const { startStandaloneServer } = require('@apollo/server/standalone');
const { Pool } = require('pg');
const { loadPseudonymKeyring, fromAgencyPseudonym } = require('@passerelle/crypto');
const { BARE_SCHEMA, BARE_SQL, claimantFromRows } = require('./lib/bare-claimant');

async function main() {
  const agency = process.env.BARE_AGENCY || 'ca.esdc';
  const keyring = await loadPseudonymKeyring(process.env.BARE_SECRETS_DIR);
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
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
  // Production-like: no landing page or introspection in production; everything else default.
  const server = new ApolloServer({ typeDefs: BARE_SCHEMA, resolvers, introspection: false });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.APOLLO_PORT), host: '127.0.0.1' } });
  process.stdout.write(`apollo listening ${url}\n`);
  const stop = () => server.stop().then(() => pool.end()).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`apollo-server: ${e.stack || e}\n`);
  process.exit(1);
});
