import { Module } from '@nestjs/common';
import { ConsentsModule } from '../consents/consents.module';
import { DecisionsController } from './decisions.controller';
import { DecisionsService } from './decisions.service';

/** gRPC Decisions: may this consumer receive these (subject, field, provider) for this purpose now? */
@Module({
  imports: [ConsentsModule],
  controllers: [DecisionsController],
  providers: [DecisionsService],
})
export class DecisionsModule {}
