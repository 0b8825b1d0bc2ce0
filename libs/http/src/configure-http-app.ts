import { type INestApplication } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { OPENAPI_PUBLIC_EXTENSION } from './auth.decorators';

export interface HttpAppOptions {
  title: string;
  description: string;
  version: string;
  bodyLimit?: string;
}

/** Body limits and the OpenAPI document (`/docs`, `/docs-json`) shared by every service. */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions): void {
  // Nothing tells a caller which framework answers.
  (app as NestExpressApplication).disable('x-powered-by');
  (app as NestExpressApplication).useBodyParser('json', { limit: options.bodyLimit ?? '256kb' });
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
