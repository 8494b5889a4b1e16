require('/work/wt-decide/bench/lib/ts').installTs();
const { Client } = require('pg');
const { windowConditions } = require('/work/wt-decide/apps/gateway/src/disclosure/claimant-window.sql.ts');
const { fieldAccess } = require('/work/wt-decide/apps/gateway/src/claimants/claimant-access.ts');
(async () => {
  const c = new Client({ connectionString: 'postgres://root@127.0.0.1:5432/decide_1e6' }); await c.connect();
  const agreements = [{ id: 'a', provider: 'qc.msss', consumer: 'ca.esdc', purposes: ['PROGRAM_ELIGIBILITY'], fields: ['healthCareHours', 'sector', 'nocCode', 'province', 'frenchLevel'], validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'b' }];
  const access = fieldAccess(agreements, 'ca.esdc', 'PROGRAM_ELIGIBILITY', new Date());
  const FILTERS = [ { sector: 'HEALTH_CARE', healthCareHoursAtLeast: 1000 }, { nocCode: ['33102', '64410'], frenchLevelAtLeast: 7 }, { province: 'QC', sector: 'SECURITY' }, { healthCareHoursAtLeast: 2400 } ];
  for (const f of FILTERS) {
    const params = [['qc.msss'], '', 10000, 101];
    const conds = windowConditions(access, f, params);
    const sql = `EXPLAIN (ANALYZE, BUFFERS) WITH hit AS MATERIALIZED (
        SELECT w.subject FROM (
          SELECT m.subject, (${conds.join(' AND ')}) AS ok
            FROM claimant_records m
           WHERE m.provider = ANY($1::text[]) AND m.subject > $2::text
           GROUP BY m.subject ORDER BY m.subject LIMIT $3::int
        ) w WHERE w.ok ORDER BY w.subject LIMIT $4::int)
      SELECT r.* FROM hit JOIN claimant_records r ON r.subject = hit.subject AND r.provider = ANY($1::text[]) ORDER BY r.subject`;
    for (let i = 0; i < (process.argv[2] === 'plan' ? 1 : 3); i++) {
      const t0 = Date.now(); const res = await c.query(sql, params);
      if (i === 0 && process.argv[2] === 'plan') console.log(res.rows.map(r => r['QUERY PLAN']).join('\n'));
      console.log(JSON.stringify(f), Date.now() - t0, 'ms', res.rows.slice(-1)[0]['QUERY PLAN']);
    }
  }
  await c.end();
})();
