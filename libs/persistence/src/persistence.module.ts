import { DynamicModule, Global, Module, type OnApplicationShutdown, Inject } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ALLOW_OWNER_LOGIN, loginProblem, pendingMigrations, readLoginFacts, refuseToStart } from './app-login';
import { createDataSource } from './data-source';
import { runMigrations } from './migrate';

export interface PersistenceModuleOptions {
  /** DATABASE_URL: the app's own login (libs/persistence/src/privileges.ts) */
  url: string;
  poolSize?: number;
  /** passerelle-<app>; the app's name is also taken from it for start-up errors */
  applicationName: string;
}

/**
 * Provides the app's TypeORM DataSource on its own login. The app refuses to start (exit 78)
 * when that login is a superuser, owns the tables or can become another role, unless
 * PASSERELLE_ALLOW_OWNER_LOGIN=1 (development: it then migrates at start, as the owner), and
 * when the schema is behind this build (`npm run migration:run` migrates, as the owner).
 */
@Global()
@Module({})
export class PersistenceModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  static forRoot(options: PersistenceModuleOptions): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: DataSource,
          useFactory: async () => {
            await checkLogin(options);
            const ds = createDataSource({ url: options.url, poolSize: options.poolSize, applicationName: options.applicationName });
            return ds.initialize();
          },
        },
      ],
      exports: [DataSource],
    };
  }

  async onApplicationShutdown() {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

async function checkLogin(options: PersistenceModuleOptions): Promise<void> {
  const app = options.applicationName.replace(/^passerelle-/, '');
  const client = new Client({ connectionString: options.url, connectionTimeoutMillis: 5000, application_name: options.applicationName });
  await client.connect();
  let problem: string | undefined;
  try {
    problem = loginProblem(await readLoginFacts(client));
    if (problem && process.env[ALLOW_OWNER_LOGIN] === '1') {
      await runMigrations(options.url);
      return;
    }
    if (problem) {
      refuseToStart(app, `DATABASE_URL ${problem}: give the app its own login (npm run migration:run creates it) or set ${ALLOW_OWNER_LOGIN}=1 for development`);
    }
    const pending = await pendingMigrations(client);
    if (pending.length) {
      refuseToStart(app, `the database schema is behind this build (${pending.length} migration(s) pending, from ${pending[0]}): run \`npm run migration:run\` with MIGRATION_DATABASE_URL set to the owner's login`);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
