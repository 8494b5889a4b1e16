SELECT count(*) FROM (SELECT m.subject FROM claimant_records m WHERE m.provider = ANY('{qc.msss}'::text[]) AND m.subject > ''::text GROUP BY m.subject ORDER BY m.subject LIMIT 10000) x
