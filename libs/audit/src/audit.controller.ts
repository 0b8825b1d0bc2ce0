import { Controller, Get, Query, type Type } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Type as TransformType } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { Tenant } from '@app/http';
import { AuditEntry } from './audit-entry.entity';

export interface AuditApiOptions {
  /** The entity types this service audits: the only values `entityType` accepts. */
  entityTypes: readonly string[];
  /** The operation's summary in the OpenAPI document. */
  summary: string;
}

/**
 * `GET /v1/audit` over the service's own `audit_log`, admin only (the default for every route),
 * newest first, for the caller's tenant alone. A class per service, since each validates its own
 * entity types.
 */
export function auditController({ entityTypes, summary }: AuditApiOptions): Type<unknown> {
  class AuditQuery {
    @ApiPropertyOptional({ enum: entityTypes })
    @IsOptional()
    @IsIn(entityTypes)
    entityType?: string;

    @ApiPropertyOptional({ format: 'uuid' })
    @IsOptional()
    @IsUUID()
    entityId?: string;

    @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
    @IsOptional()
    @TransformType(() => Number)
    @IsInt()
    @Min(1)
    @Max(500)
    limit?: number;
  }

  @ApiTags('audit')
  @ApiBearerAuth()
  @Controller('v1/audit')
  class AuditController {
    constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

    @Get()
    @ApiOperation({ summary })
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
  return AuditController;
}
