import { type INestApplication } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, urlencoded } from 'express';
import { ApiKeyRing } from './api-key-ring';
import { afterAuthentication, authenticateBeforeBody, limitJsonDepth, MAX_JSON_DEPTH } from './request-body';

export interface HttpAppOptions {
  title: string;
  description: string;
  version: string;
  bodyLimit?: string;
  /** Deepest JSON nesting a body may have; MAX_JSON_DEPTH by default. */
  maxJsonDepth?: number;
}

/**
 * Authentication before body parsing, body limits and the OpenAPI document (`/docs`, `/docs-json`)
 * shared by every service. The application must be created with `bodyParser: false`: Nest's own
 * parsers would read every body before anyone checked the caller's key.
 */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions): void {
  const express = app as NestExpressApplication;
  const limit = options.bodyLimit ?? '256kb';
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
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
