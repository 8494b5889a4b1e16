import { Field, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { Public } from './auth/requires.decorator';

@ObjectType({ description: 'What this gateway is; answers without claimant data.' })
export class GatewayInfo {
  @Field(() => String)
  contractVersion: string;
}

@Resolver(() => GatewayInfo)
export class GatewayInfoResolver {
  @Public()
  @Query(() => GatewayInfo, { description: 'The contract version this gateway implements.' })
  gatewayInfo(): GatewayInfo {
    return { contractVersion: 'v1' };
  }
}
