'use strict';
/**
 * What the peers of the cost-of-trust benchmark without trust (bench/bare-server.js: Fastify +
 * Mercurius; bench/apollo-server.js: Apollo Server 4) share, so they answer exactly alike: the
 * schema of the `claimant(pseudonym)` query, its ONE select, and the answer from its rows.
 */

const BARE_SCHEMA = `
  type Claimant {
    pseudonym: String!
    claimStatus: String
    claimDate: String
    province: String
    workPermitExpiry: String
    nocCode: String
    sector: String
    frenchLevel: Int
  }
  type Query { claimant(pseudonym: String!): Claimant }
`;

const BARE_SQL = `SELECT claim_status, to_char(claim_date, 'YYYY-MM-DD') AS claim_date, province,
  to_char(work_permit_expiry, 'YYYY-MM-DD') AS work_permit_expiry, noc_code, sector, french_level
  FROM claimant_records WHERE subject = $1 ORDER BY supplied_at DESC, provider`;

/** The answer from the subject's records, newest first: the newest non-null value per field. */
function claimantFromRows(pseudonym, rows) {
  const pick = (col) => {
    for (const r of rows) if (r[col] !== null) return r[col];
    return null;
  };
  return {
    pseudonym,
    claimStatus: pick('claim_status'),
    claimDate: pick('claim_date'),
    province: pick('province'),
    workPermitExpiry: pick('work_permit_expiry'),
    nocCode: pick('noc_code'),
    sector: pick('sector'),
    frenchLevel: pick('french_level'),
  };
}

module.exports = { BARE_SCHEMA, BARE_SQL, claimantFromRows };
