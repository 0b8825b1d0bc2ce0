import { HttpException, HttpStatus } from '@nestjs/common';

export interface FieldProblem {
  field: string;
  message: string;
}

/** An HTTP error with a stable machine-readable `code` that clients can rely on. */
export class ApiError extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super({ code, message, ...(details ? { details } : {}) }, status);
  }
}

export const notFound = (code: string, message: string) => new ApiError(HttpStatus.NOT_FOUND, code, message);
export const conflict = (code: string, message: string) => new ApiError(HttpStatus.CONFLICT, code, message);
