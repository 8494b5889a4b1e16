import { Module } from '@nestjs/common';
import { ConsoleController, CONSOLE_FILES } from './console.controller';
import { consoleDirCandidates, ConsoleFiles } from './console-files';

/** Serves the operator console's build (dist/console) at /console. */
@Module({
  controllers: [ConsoleController],
  providers: [{ provide: CONSOLE_FILES, useFactory: () => ConsoleFiles.load(consoleDirCandidates()) }],
})
export class ConsoleModule {}
