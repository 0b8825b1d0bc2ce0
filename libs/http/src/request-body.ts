import { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { type ApiKeyRing } from './api-key-ring';

/**
 * How deep a JSON body may nest. Our deepest DTO (an SLA policy's escalation steps) nests four
 * levels; class-transformer recurses once per level, so thousands of levels exhaust the stack.
 */
export const MAX_JSON_DEPTH = 32;

/** Parsers held back from a request without a valid API key, until a route says it is public. */
const HELD = Symbol('ticketflow:held-body-parsers');
type HeldRequest = Request & { [HELD]?: RequestHandler[] };

/**
 * Runs before any body parser: a request without a known API key has its body held back, so an
 * unauthenticated caller cannot make us buffer megabytes. The guard answers 401 for a protected
 * route without reading the body, and reads it (readDeferredBody) for a public one.
 */
export function authenticateBeforeBody(keys: ApiKeyRing): RequestHandler {
  return (request: HeldRequest, _response, next) => {
    if ('problem' in keys.identify(request.header('authorization'))) request[HELD] = [];
    next();
  };
}

/** A body parser that runs at once for an authenticated request and waits for the guard otherwise. */
export function afterAuthentication(parser: RequestHandler): RequestHandler {
  return (request: HeldRequest, response, next) => {
    const held = request[HELD];
    if (!held) return parser(request, response, next);
    held.push(parser);
    next();
  };
}

/** Runs the parsers held back for this request, in their order; a parser's error rejects. */
export async function readDeferredBody(request: Request, response: Response): Promise<void> {
  const held = (request as HeldRequest)[HELD];
  if (!held) return;
  delete (request as HeldRequest)[HELD];
  for (const parser of held) {
    await new Promise<void>((resolve, reject) => {
      const next = (error?: unknown) => {
        if (!error) resolve();
        else reject(error instanceof Error ? error : new Error('body parser failed', { cause: error }));
      };
      void parser(request, response, next as NextFunction);
    });
  }
}

/** Thrown by the JSON parser for a body nested deeper than allowed; the filter makes it a 400. */
export class BodyTooDeepError extends Error {
  readonly type = 'entity.too.deep';
  readonly status = 400;
  constructor(readonly maxDepth: number) {
    super(`The request body nests deeper than ${maxDepth} levels`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]);
const CLOSERS = new Set([0x5d, 0x7d]);

/**
 * The nesting depth check, as a body-parser `verify` hook: one pass over the raw bytes before
 * JSON.parse, without recursion, so depth costs microseconds and never a stack.
 */
export function limitJsonDepth(maxDepth: number) {
  return (_request: unknown, _response: unknown, body: Buffer): void => {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < body.length; i++) {
      const byte = body[i];
      if (inString) {
        if (byte === BACKSLASH) i++;
        else if (byte === QUOTE) inString = false;
      } else if (byte === QUOTE) inString = true;
      else if (OPENERS.has(byte)) {
        if (++depth > maxDepth) throw new BodyTooDeepError(maxDepth);
      } else if (CLOSERS.has(byte)) depth--;
    }
  };
}
