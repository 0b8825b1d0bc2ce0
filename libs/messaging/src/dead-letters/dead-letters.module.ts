import { Module } from '@nestjs/common';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLetterStore } from './dead-letter-store';

/**
 * `GET /v1/dead-letters` and `POST /v1/dead-letters/:id/replay` for a service that consumes, beside
 * MessagingModule (whose producer, topic names and transport it uses) and HttpPlatformModule
 * (whose guard it relies on, as every controller does).
 */
@Module({ controllers: [DeadLettersController], providers: [DeadLetterStore] })
export class DeadLettersModule {}
