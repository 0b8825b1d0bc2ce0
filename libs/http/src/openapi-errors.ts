import { type OpenAPIObject } from '@nestjs/swagger';
import { RATE_LIMIT_EXEMPT } from './rate-limit';

/** The body HttpExceptionFilter answers every error with. */
export const API_ERROR_SCHEMA_NAME = 'ApiErrorBody';

const API_ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: 'Stable machine-readable code, e.g. validation_failed' },
    message: { type: 'string' },
    details: {
      type: 'array',
      description: 'One entry per offending field',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

interface Operation {
  parameters?: Array<{ in?: string }>;
  requestBody?: unknown;
  security?: unknown[];
  responses?: Record<string, unknown>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${API_ERROR_SCHEMA_NAME}` } } },
});

/**
 * The answers the shared HTTP platform gives on any route, whatever its controller says: the
 * validation pipe's 400, the guard's 401/403, the id pipes' and lookups' 404, the body parser's
 * 413, the rate limiter's 429 (not on the probes) and the filter's 503 during an outage. Declared once here so no document omits them; a
 * route's own @ApiResponse for the same status (a more specific description) wins.
 */
export function documentPlatformErrors(document: OpenAPIObject): void {
  document.components = document.components ?? {};
  document.components.schemas = {
    ...document.components.schemas,
    [API_ERROR_SCHEMA_NAME]: API_ERROR_SCHEMA,
  };
  for (const [route, path] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = (path as Record<string, Operation | undefined>)[method];
      if (operation) addPlatformErrors(operation, !RATE_LIMIT_EXEMPT.test(route));
    }
  }
}

function addPlatformErrors(operation: Operation, rateLimited: boolean): void {
  const parameters = operation.parameters ?? [];
  const hasBody = operation.requestBody !== undefined;
  const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
  const add = (status: number, description: string) => {
    operation.responses = operation.responses ?? {};
    operation.responses[String(status)] ??= errorResponse(description);
  };
  if (parameters.length > 0 || hasBody)
    add(400, 'Invalid input (`validation_failed`, `invalid_id`, `malformed_json`); details name each field');
  if (!isPublic) {
    add(401, 'Missing or unknown API key (`unauthorized`)');
    add(403, "The key's role or tenant may not do this (`forbidden`)");
  }
  if (parameters.some((parameter) => parameter.in === 'path')) add(404, 'No such resource for this tenant');
  if (hasBody) add(413, 'The request body is too large (`payload_too_large`)');
  if (rateLimited)
    add(429, 'Too many requests from this key or address (`rate_limited`); retry after Retry-After');
  add(503, 'Postgres, Redis or Kafka is unavailable (`dependency_unavailable`); retry after Retry-After');
}
