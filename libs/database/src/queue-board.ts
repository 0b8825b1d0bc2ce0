import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { type FactoryProvider, HttpStatus, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type RequestHandler, type Response } from 'express';
import { ApiKeyRing } from '@app/http';
import { type JobQueue } from './job-queue';

/** Where each service that owns queues serves the dashboard. */
export const QUEUE_BOARD_PATH = '/admin/queues';

const refuse = (response: Response, status: HttpStatus, code: string, message: string) => {
  response.status(status).type('application/json').json({ code, message });
};

/**
 * The dashboard's own gate, since it is Express middleware that Nest's guard never sees. Every
 * request needs `Authorization: Bearer <key>` of an operator (an admin of OPERATOR_TENANT): the
 * queues are every tenant's, so no tenant's admin may look into them alone. A browser sends no such
 * header by itself, for the page, its scripts or its API calls: a header extension scoped to the
 * service's origin, or a local proxy that adds the header, does. Read-only twice over: the queue
 * adapters refuse changes, and only GET and HEAD pass here.
 */
function operatorsOnly(keys: ApiKeyRing): RequestHandler {
  return (request, response, next) => {
    const identified = keys.identify(request.header('authorization'));
    if ('problem' in identified)
      return refuse(response, HttpStatus.UNAUTHORIZED, 'unauthorized', identified.message);
    if (!identified.principal.operator)
      return refuse(
        response,
        HttpStatus.FORBIDDEN,
        'forbidden',
        'Only an admin of the operator tenant may see the queues',
      );
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return refuse(
        response,
        HttpStatus.METHOD_NOT_ALLOWED,
        'method_not_allowed',
        'The queue dashboard is read-only',
      );
    next();
  };
}

/** Bull Board, read-only, over a service's queues, mounted on its HTTP server at QUEUE_BOARD_PATH. */
export class QueueBoard implements OnModuleInit {
  private readonly logger = new Logger(QueueBoard.name);

  constructor(
    private readonly http: HttpAdapterHost,
    private readonly keys: ApiKeyRing,
    private readonly title: string,
    private readonly queues: ReadonlyArray<JobQueue<object>>,
  ) {}

  /**
   * During init, after Nest registered its routes and before its not-found handler: the board's
   * paths are no Nest route, and the rate limits and body gate configureHttpApp set come first.
   */
  onModuleInit(): void {
    const board = new ExpressAdapter().setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: this.queues.map(({ queue }) => new BullMQAdapter(queue, { readOnlyMode: true })),
      serverAdapter: board,
      options: { uiConfig: { boardTitle: this.title, hideDocsLink: true } },
    });
    const router = board.getRouter() as { disable: (setting: string) => void };
    // An Express app of its own: nothing tells a caller which framework answers, there either.
    router.disable('x-powered-by');
    const express = this.http.httpAdapter.getInstance<{
      use: (path: string, ...handlers: unknown[]) => void;
    }>();
    express.use(QUEUE_BOARD_PATH, operatorsOnly(this.keys), router);
    this.logger.log({ msg: 'Queue dashboard mounted', path: QUEUE_BOARD_PATH, queues: this.queues.length });
  }
}

/**
 * The provider that mounts a service's QueueBoard: `inject` names the providers owning its queues,
 * and `queues` picks each one's JobQueue from them, in that order.
 */
export function queueBoardProvider<Owners extends unknown[]>(options: {
  title: string;
  inject: { [K in keyof Owners]: Type<Owners[K]> };
  queues: (...owners: Owners) => Array<JobQueue<object>>;
}): FactoryProvider<QueueBoard> {
  return {
    provide: QueueBoard,
    inject: [HttpAdapterHost, ApiKeyRing, ...options.inject],
    useFactory: (http: HttpAdapterHost, keys: ApiKeyRing, ...owners: Owners) =>
      new QueueBoard(http, keys, options.title, options.queues(...owners)),
  };
}
