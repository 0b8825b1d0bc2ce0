import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { type Request } from 'express';
import { type Role } from './api-keys';

export const IS_PUBLIC = 'ticketflow:public';
export const ROLES_KEY = 'ticketflow:roles';

export interface Principal {
  tenant: string;
  role: Role;
  /** First 8 hex characters of the key's SHA-256: safe to log, enough to tell keys apart. */
  keyId: string;
  /**
   * An admin of the operator tenant (OPERATOR_TENANT): besides its own tenant's data, it sees what
   * belongs to no tenant and what all tenants share.
   */
  operator: boolean;
}

/** How records name who did something: the key, never its secret. */
export const actorOf = (principal: Principal) => `api-key:${principal.keyId}`;

export type AuthenticatedRequest = Request & { principal?: Principal };

/** Marks a public operation in the OpenAPI document until configureHttpApp gives it `security: []`. */
export const OPENAPI_PUBLIC_EXTENSION = 'x-public';

/** No API key needed (health, metrics, a survey link). */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(OPENAPI_PUBLIC_EXTENSION, true));

/** Roles allowed besides `admin`, which passes everywhere. Without @Roles a route is admin-only. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});

/** The caller's tenant, from the API key and never from the request body (S2). */
export const Tenant = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('Tenant used on a route without authentication');
  return principal.tenant;
});
