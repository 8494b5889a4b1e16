import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Client } from 'pg';

/**
 * Everything a database holds, as text, for tests that scan it for raw identifiers. pg_dump
 * refuses a server newer than itself (the embedded PostgreSQL 17 of `npm test` beside a
 * distribution's pg_dump 15), so this takes the server's own major version's pg_dump when the
 * machine has it, and otherwise reads every row of every table itself (each row as its text form,
 * under its table's name) — the same bytes a data dump would hold, whatever the versions.
 */
export async function dumpDatabase(url: string, opts: { dataOnly?: boolean } = {}): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const major = Number((await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0].v.slice(0, -4));
    for (const bin of [`/usr/lib/postgresql/${major}/bin/pg_dump`, 'pg_dump']) {
      if (bin !== 'pg_dump' && !existsSync(bin)) continue;
      try {
        return execFileSync(bin, [...(opts.dataOnly ? ['--data-only'] : []), url], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        if (!/version mismatch|ENOENT/.test(String((e as { stderr?: string }).stderr ?? '') + String((e as Error).message))) throw e;
      }
    }
    const tables = (
      await client.query<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
          WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
      )
    ).rows;
    const parts: string[] = [];
    for (const t of tables) {
      const qualified = `"${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}"`;
      parts.push(`-- table ${t.schema}.${t.name}`);
      const { rows } = await client.query<{ row: string }>(`SELECT r::text AS row FROM ${qualified} r`);
      for (const r of rows) parts.push(r.row);
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}
