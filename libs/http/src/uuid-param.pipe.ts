import { HttpStatus, ParseUUIDPipe } from '@nestjs/common';
import { ApiError } from './api-error';

/** `:id` path parameters must be UUIDs; anything else is a 400 before the database sees it. */
export const uuidParam = () =>
  new ParseUUIDPipe({
    exceptionFactory: () => new ApiError(HttpStatus.BAD_REQUEST, 'invalid_id', 'The id in the path must be a UUID'),
  });
