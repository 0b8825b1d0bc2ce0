import { type INestApplication } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export interface HttpAppOptions {
  title: string;
  description: string;
  version: string;
  bodyLimit?: string;
}

/** Body limits and the OpenAPI document (`/docs`, `/docs-json`) shared by every service. */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions): void {
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
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
