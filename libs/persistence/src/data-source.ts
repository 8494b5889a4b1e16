import { DataSource, type MixedList, type EntitySchema } from 'typeorm';
import { migrations } from './migrations';

export interface DataSourceOptions {
  /** The app's own login (see privileges.ts), or the owner's for migrations. */
  url: string;
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
    },
  });
}
