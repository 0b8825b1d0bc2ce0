import { HttpStatus, ParseUUIDPipe } from '@nestjs/common';
import { ApiError } from './api-error';

/** Ids in paths and queries must be UUIDs; anything else is a 400 before the database sees it. */
export const uuidParam = (options: { name?: string; optional?: boolean } = {}) =>
  new ParseUUIDPipe({
    optional: options.optional,
    exceptionFactory: () =>
      new ApiError(
        HttpStatus.BAD_REQUEST,
        'invalid_id',
        `${options.name ?? 'The id in the path'} must be a UUID`,
      ),
  });
