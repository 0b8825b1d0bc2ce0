import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { Tenant } from '@app/http';
import { type AuditedEntity, AuditEntry } from './audit-entry.entity';

export class AuditQuery {
  @ApiPropertyOptional({ enum: ['agent', 'team', 'routing_rule'] })
  @IsOptional()
  @IsIn(['agent', 'team', 'routing_rule'])
  entityType?: AuditedEntity;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  entityId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Admin changes to agents, teams and routing rules, newest first (admin)' })
  async list(@Tenant() tenant: string, @Query() query: AuditQuery) {
    const entries = await this.dataSource.getRepository(AuditEntry).find({
      // Only the filters given: TypeORM refuses an undefined criterion rather than matching all.
      where: {
        tenant,
        ...(query.entityType !== undefined && { entityType: query.entityType }),
        ...(query.entityId !== undefined && { entityId: query.entityId }),
      },
      order: { id: 'DESC' },
      take: query.limit ?? 100,
    });
    return entries.map(({ id, entityType, entityId, action, actor, before, after, at }) => ({
      id: Number(id),
      entityType,
      entityId,
      action,
      actor,
      before,
      after,
      at,
    }));
  }
}
