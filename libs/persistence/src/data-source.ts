import { DataSource, type MixedList, type EntitySchema } from 'typeorm';
import { migrations } from './migrations';

/** The role the running apps act as: it may not UPDATE, DELETE or TRUNCATE ledger tables. */
export const APP_ROLE = 'passerelle_app';

export interface DataSourceOptions {
  url: string;
  /** Act as APP_ROLE on every pooled connection (true for the apps; false for migrations). */
  asAppRole: boolean;
  poolSize?: number;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  applicationName?: string;
}

export function createDataSource(opts: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    entities: opts.entities ?? [],
    migrations,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
    extra: {
      max: opts.poolSize ?? 10,
      application_name: opts.applicationName ?? 'passerelle',
      // Fail fast instead of queueing forever when the database is down.
      connectionTimeoutMillis: 3000,
      // Postgres startup option: every pooled session acts as the restricted app role.
      ...(opts.asAppRole ? { options: `-c role=${APP_ROLE}` } : {}),
    },
  });
}
