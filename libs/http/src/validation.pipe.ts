import { type ArgumentMetadata, HttpStatus, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiError, type FieldProblem } from './api-error';

/** class-validator errors as field problems, nested fields named by their path under `parent`. */
export function fieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...fieldProblems(error.children ?? [], field)];
  });
}

/**
 * Every string in `value` holding U+0000, named by its path. Postgres text and jsonb cannot store
 * that character, so such a string would otherwise fail at the INSERT, as a 500.
 */
export function nulCharacterProblems(value: unknown, field: string): FieldProblem[] {
  if (typeof value === 'string')
    return value.includes('\u0000')
      ? [{ field: field || 'value', message: `${field || 'value'} must not contain NUL characters` }]
      : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    nulCharacterProblems(inner, field ? `${field}.${key}` : key),
  );
}

const validationFailed = (problems: FieldProblem[]) =>
  new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', problems);

/** What a client sent (body, query, path); custom parameters (the principal) are ours. */
const FROM_CLIENT = new Set<ArgumentMetadata['type']>(['body', 'query', 'param']);

class RequestValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (FROM_CLIENT.has(metadata.type)) {
      // A whole body or query names its fields from the top; @Param('token') names the parameter.
      const problems = nulCharacterProblems(value, metadata.data ?? '');
      if (problems.length > 0) throw validationFailed(problems);
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** class-validator with unknown fields rejected; errors name each offending field (never its value). */
export function createValidationPipe(): ValidationPipe {
  return new RequestValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(fieldProblems(errors)),
  });
}
