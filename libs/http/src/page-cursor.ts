import { HttpStatus } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { ApiError } from './api-error';

/**
 * Where a newest-first page ended: the last row's creation time and id. Lists page by this keyset,
 * `(created_at, id) < (cursor)`, so pages stay stable while rows keep arriving.
 */
export interface PageCursor {
  createdAt: string;
  id: string;
}

/** Exactly what encodePageCursor writes: Date#toISOString of a valid time. */
const isIssuedTime = (value: string) => {
  const time = new Date(value);
  return !Number.isNaN(time.getTime()) && time.toISOString() === value;
};

/** The `nextCursor` of a page whose last row is `last`. */
export const encodePageCursor = (last: { createdAt: Date; id: string }) =>
  Buffer.from(JSON.stringify({ createdAt: last.createdAt.toISOString(), id: last.id })).toString('base64url');

/** A cursor from a client; anything we did not issue is a 400 `invalid_cursor`. */
export function decodePageCursor(raw: string): PageCursor {
  try {
    const cursor = JSON.parse(Buffer.from(raw, 'base64url').toString()) as Partial<PageCursor>;
    // Both go into SQL as a timestamptz and a uuid: anything else would be a database error.
    if (
      typeof cursor.createdAt === 'string' &&
      isIssuedTime(cursor.createdAt) &&
      typeof cursor.id === 'string' &&
      isUUID(cursor.id)
    )
      return { createdAt: cursor.createdAt, id: cursor.id };
  } catch {
    // Falls through to the 400 below: a cursor we did not issue.
  }
  throw new ApiError(
    HttpStatus.BAD_REQUEST,
    'invalid_cursor',
    'cursor must be a nextCursor from a previous page',
  );
}
