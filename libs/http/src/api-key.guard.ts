import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Response } from 'express';
import { ApiError } from './api-error';
import { type ApiKeyRing } from './api-key-ring';
import { type Role } from './api-keys';
import { type AuthenticatedRequest, IS_PUBLIC, ROLES_KEY } from './auth.decorators';
import { readDeferredBody } from './request-body';

/**
 * S1: every non-public HTTP route needs a known API key with an allowed role. A body the
 * authentication middleware held back (no valid key) is read here, and only for a public route.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyRing,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Kafka handlers are authenticated by the broker, not by API keys.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      await readDeferredBody(request, context.switchToHttp().getResponse<Response>());
      return true;
    }

    const identified = this.keys.identify(request.header('authorization'));
    if ('problem' in identified)
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', identified.message);
    const { principal } = identified;

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    if (principal.role !== 'admin' && !allowed.includes(principal.role)) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'forbidden', `The ${principal.role} role may not do this`);
    }
    request.principal = principal;
    return true;
  }
}
