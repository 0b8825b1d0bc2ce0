import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { actorOf, type Principal } from '@app/http';

export interface AuditedChange<Entity extends string = string, Action extends string = string> {
  entityType: Entity;
  entityId: string;
  action: Action;
  before: object | null;
  after: object | null;
}

/** Records admin changes in the caller's transaction: the change and its record commit together. */
@Injectable()
export class AuditLog {
  async record(manager: EntityManager, principal: Principal, change: AuditedChange): Promise<void> {
    await manager.query(
      `INSERT INTO audit_log (tenant, actor, entity_type, entity_id, action, before, after)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        principal.tenant,
        actorOf(principal),
        change.entityType,
        change.entityId,
        change.action,
        change.before && JSON.stringify(change.before),
        change.after && JSON.stringify(change.after),
      ],
    );
  }
}
