import { DynamicModule, Global, Module, type OnApplicationShutdown, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createDataSource } from './data-source';
import { runMigrations } from './migrate';

export interface PersistenceModuleOptions {
  url: string;
  poolSize?: number;
  applicationName: string;
}

/**
 * Provides the app's TypeORM DataSource (acting as the restricted app role), after running
 * pending migrations with the owner role. Inject `DataSource` in repositories.
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
            await runMigrations(options.url);
            const ds = createDataSource({ url: options.url, asAppRole: true, poolSize: options.poolSize, applicationName: options.applicationName });
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
