const path=require('path');
process.chdir('/work/wt-decide');
require('/work/wt-decide/bench/lib/ts').installTs();
const { runMigrations } = require('/work/wt-decide/libs/persistence/src/migrate.ts');
const { Client } = require('pg');
(async()=>{
  const admin=new Client({connectionString:'postgres://root@127.0.0.1:5432/test'}); await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS decide_1e6'); await admin.query('CREATE DATABASE decide_1e6'); await admin.end();
  const url='postgres://root@127.0.0.1:5432/decide_1e6';
  await runMigrations(url);
  const c=new Client({connectionString:url}); await c.connect();
  const arr=(a)=>`ARRAY[${a.map((x)=>`'${x}'`).join(',')}]`;
  const STATUSES = ['PENDING', 'ACCEPTED', 'REJECTED', 'APPEAL_PENDING', 'WITHDRAWN'];
  const PROVINCES = ['QC', 'QC', 'QC', 'ON', 'ON', 'BC', 'AB', 'MB', 'NS', 'NB'];
  const NOCS = ['33102', '64410', '65201', '65310', '13110', '31301', '32101', '44101', '75110', '94141'];
  const SECTORS = ['HEALTH_CARE', 'HEALTH_CARE', 'SOCIAL_ASSISTANCE', 'FOOD_SERVICES', 'SECURITY', 'CLEANING_MAINTENANCE', 'ADMINISTRATION', 'CONSTRUCTION', 'MANUFACTURING', 'OTHER'];
  const t0=Date.now();
  await c.query(`INSERT INTO claimant_records (subject, provider, claim_status, province, work_permit_expiry, noc_code, sector,
                                   health_care_hours, hours_period_start, hours_period_end, french_level, version, supplied_at, supplied_by_kid)
     SELECT 'i_' || translate(substr(encode(sha256(('scale-' || g)::bytea), 'base64'), 1, 22), '+/', '-_'), 'qc.msss',
            (${arr(STATUSES)})[1 + g % 5], (${arr(PROVINCES)})[1 + (g * 7) % ${PROVINCES.length}],
            date '2026-01-01' + (g % 1500), (${arr(NOCS)})[1 + (g * 3) % ${NOCS.length}], (${arr(SECTORS)})[1 + (g * 11) % ${SECTORS.length}],
            CASE WHEN g % 5 = 0 THEN NULL ELSE (g * 13) % 2500 END,
            CASE WHEN g % 5 = 0 THEN NULL ELSE date '2020-03-20' END,
            CASE WHEN g % 5 = 0 THEN NULL ELSE date '2020-08-01' END,
            CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + g % 12 END,
            1, now() - interval '1 day', 'bench'
     FROM generate_series(1, 1000000) AS g`);
  await c.query('ANALYZE claimant_records');
  console.log('generated', Date.now()-t0);
  await c.end();
})().catch(e=>{console.error(e);process.exit(1)});
