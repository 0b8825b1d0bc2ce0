import { type INestApplication } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { json, urlencoded } from 'express';
import { ApiKeyRing } from './api-key-ring';
import { OPENAPI_PUBLIC_EXTENSION } from './auth.decorators';
import { documentPlatformErrors } from './openapi-errors';
import { documentValidationRules } from './openapi-validation';
import { RateLimiter } from './rate-limit';
import { afterAuthentication, authenticateBeforeBody, limitJsonDepth, MAX_JSON_DEPTH } from './request-body';

export interface HttpAppOptions {
  title: string;
  description: string;
  version: string;
  bodyLimit?: string;
  /** Deepest JSON nesting a body may have; MAX_JSON_DEPTH by default. */
  maxJsonDepth?: number;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For names the client address. */
  trustProxy?: boolean | number | string;
}

/**
 * Rate limits and authentication before body parsing, body limits and the OpenAPI document (`/docs`, `/docs-json`)
 * shared by every service. The application must be created with `bodyParser: false`: Nest's own
 * parsers would read every body before anyone checked the caller's key.
 */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions): void {
  const express = app as NestExpressApplication;
  // Nothing tells a caller which framework answers.
  express.disable('x-powered-by');
  express.set('trust proxy', options.trustProxy ?? false);
  const limit = options.bodyLimit ?? '256kb';
  // First in line: a caller over its limit is answered before anything else is done for it.
  express.use(app.get(RateLimiter, { strict: false }).middleware());
  express.use(authenticateBeforeBody(app.get(ApiKeyRing, { strict: false })));
  express.use(
    afterAuthentication(json({ limit, verify: limitJsonDepth(options.maxJsonDepth ?? MAX_JSON_DEPTH) })),
  );
  // HTML forms (the CSAT survey page) post flat fields; `extended: false` parses no nesting at all.
  express.use(afterAuthentication(urlencoded({ limit, extended: false })));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(options.title)
      .setDescription(options.description)
      .setVersion(options.version)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key from API_KEYS' })
      .addSecurityRequirements('bearer')
      .build(),
  );
  openPublicOperations(document);
  documentPlatformErrors(document);
  documentValidationRules(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

/** The bearer requirement is document-wide; an operation marked @Public() needs none. */
function openPublicOperations(document: OpenAPIObject): void {
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as Array<Record<string, unknown>>) {
      if (typeof operation !== 'object' || operation === null || !(OPENAPI_PUBLIC_EXTENSION in operation))
        continue;
      delete operation[OPENAPI_PUBLIC_EXTENSION];
      operation.security = [];
    }
  }
}
