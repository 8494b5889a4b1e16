import { Field, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum StatisticsDimensionEnum {
  province = 'province',
  claimStatus = 'claimStatus',
  nocCode = 'nocCode',
  sector = 'sector',
  frenchBand = 'frenchBand',
}
registerEnumType(StatisticsDimensionEnum, {
  name: 'StatisticsDimension',
  description: 'What counts are grouped by. frenchBand: BASIC (NCLC 1–4), INTERMEDIATE (5–6), ADVANCED (7–12), UNKNOWN.',
});

export enum StatisticsFilterDimensionEnum {
  province = 'province',
  claimStatus = 'claimStatus',
  sector = 'sector',
}
registerEnumType(StatisticsFilterDimensionEnum, { name: 'StatisticsFilterDimension', description: 'The coarse dimensions a statistics query may be filtered on (one at a time).' });

@InputType({ description: 'One filter: a coarse dimension other than groupBy, and one of its values.' })
export class StatisticsFilterInput {
  @Field(() => StatisticsFilterDimensionEnum)
  dimension: StatisticsFilterDimensionEnum;

  @Field(() => String, { description: 'A province code, claim status or sector.' })
  value: string;
}

@ObjectType({ description: 'One group. Counts from 1 to 9, and the cells that would let them be recovered, are suppressed.' })
export class StatisticsCellType {
  @Field(() => String, { description: 'The group (a province code, status, NOC code, sector, French band, or UNKNOWN).' })
  key: string;

  @Field(() => Int, { nullable: true, description: 'null when suppressed' })
  count: number | null;

  @Field(() => Boolean)
  suppressed: boolean;
}

@ObjectType({ description: 'Counts of claimants, protected against small-cell and differencing disclosure (docs/statistics.md).' })
export class Statistics {
  @Field(() => StatisticsDimensionEnum)
  groupBy: StatisticsDimensionEnum;

  @Field(() => StatisticsFilterDimensionEnum, { nullable: true })
  filterDimension: StatisticsFilterDimensionEnum | null;

  @Field(() => String, { nullable: true })
  filterValue: string | null;

  @Field(() => [StatisticsCellType])
  cells: StatisticsCellType[];

  @Field(() => Int, { nullable: true, description: 'The total; null whenever any cell is suppressed (or the total itself is protected).' })
  total: number | null;

  @Field(() => Int)
  suppressedCells: number;
}
