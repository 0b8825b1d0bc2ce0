import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ALL_TOPICS, type Topic } from '@app/contracts';
import {
  actorOf,
  ApiError,
  CurrentPrincipal,
  decodePageCursor,
  encodePageCursor,
  type Principal,
  Roles,
  uuidParam,
} from '@app/http';
import { KafkaEventTransport } from '../transport/kafka-event.transport';
import { type DeadLetterReader, DeadLetterStore, type StoredDeadLetter } from './dead-letter-store';

const MAX_PAGE = 200;
const ENCODINGS = ['utf8', 'base64'] as const;
type Encoding = (typeof ENCODINGS)[number];

export class DeadLettersQuery {
  @ApiPropertyOptional({
    enum: ALL_TOPICS,
    description: 'Only this topic; it must be one this service consumes',
  })
  @IsOptional()
  @IsIn(ALL_TOPICS)
  topic?: Topic;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;
}

class DeadLetterHeaderView {
  @ApiProperty()
  name: string;

  @ApiProperty()
  value: string;

  @ApiProperty({ enum: ENCODINGS })
  encoding: Encoding;
}

class DeadLetterView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ALL_TOPICS, description: 'The topic the record was consumed from' })
  topic: string;

  @ApiProperty({ type: 'integer' })
  partition: number;

  @ApiProperty({ description: 'The Kafka offset, as a decimal string' })
  offset: string;

  @ApiProperty({ type: String, nullable: true, description: 'null: no tenant could be told from the record' })
  tenant: string | null;

  @ApiProperty({ example: 'handler_failed', description: 'A stable code, as in the dlq-reason header' })
  reason: string;

  @ApiProperty({ description: 'What was wrong, never the payload' })
  detail: string;

  @ApiProperty({ type: 'integer' })
  attempts: number;

  @ApiProperty({ type: String, nullable: true, description: 'The Kafka key, usually the ticket id' })
  key: string | null;

  @ApiProperty({ enum: ENCODINGS, description: 'base64 when the key is not UTF-8 text' })
  keyEncoding: Encoding;

  @ApiProperty({ type: 'integer', description: 'Size of key, value and headers' })
  bytes: number;

  @ApiProperty({ description: 'false: too large to keep, so it can only be replayed from its DLQ topic' })
  replayable: boolean;

  @ApiProperty({ format: 'date-time' })
  deadLetteredAt: Date;

  @ApiProperty({ type: 'integer' })
  replays: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  replayedAt: Date | null;

  @ApiProperty({ type: String, nullable: true, description: 'The API key that replayed it last' })
  replayedBy: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'admins only: the original value' })
  value?: string | null;

  @ApiPropertyOptional({
    enum: ENCODINGS,
    description: 'admins only: base64 when the value is not UTF-8 text',
  })
  valueEncoding?: Encoding;

  @ApiPropertyOptional({ type: [DeadLetterHeaderView], description: 'admins only: the original headers' })
  headers?: DeadLetterHeaderView[];
}

class DeadLetterPage {
  @ApiProperty({ type: [DeadLetterView] })
  items: DeadLetterView[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as text where they are UTF-8, as base64 where they are not, saying which. */
function encoded(bytes: Buffer | null | undefined): { text: string | null; encoding: Encoding } {
  if (!bytes) return { text: null, encoding: 'utf8' };
  try {
    return { text: utf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { text: bytes.toString('base64'), encoding: 'base64' };
  }
}

function view(row: StoredDeadLetter): DeadLetterView {
  const key = encoded(row.key);
  const summary: DeadLetterView = {
    id: row.id,
    topic: row.topic,
    partition: row.partition,
    offset: row.offset,
    tenant: row.tenant,
    reason: row.reason,
    detail: row.detail,
    attempts: row.attempts,
    key: key.text,
    keyEncoding: key.encoding,
    bytes: row.bytes,
    replayable: row.kept,
    deadLetteredAt: row.createdAt,
    replays: row.replayCount,
    replayedAt: row.replayedAt,
    replayedBy: row.replayedBy,
  };
  if (row.headers === undefined) return summary;
  const value = encoded(row.value);
  return {
    ...summary,
    value: value.text,
    valueEncoding: value.encoding,
    headers: row.headers.map(([name, base64]) => {
      const header = encoded(Buffer.from(base64, 'base64'));
      return { name, value: header.text ?? '', encoding: header.encoding };
    }),
  };
}

const readerOf = (principal: Principal): DeadLetterReader => ({
  tenant: principal.tenant,
  operator: principal.operator,
});

/**
 * What this service's consumer dead-lettered (`dead_letters`, written by the transport before each
 * DLQ produce). A tenant's admins and agents see their tenant's; a record no tenant could be told
 * from (unsigned, say) only the operator's admins (OPERATOR_TENANT). The original value and headers
 * may hold personal data, so agents see why and where, never what.
 */
@ApiTags('dead letters')
@ApiBearerAuth()
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(
    private readonly store: DeadLetterStore,
    private readonly transport: KafkaEventTransport,
  ) {}

  @Get()
  @Roles('agent')
  @ApiOperation({
    summary: 'What this service dead-lettered, newest first, with reason, attempts and key',
    description:
      "Agents see their tenant's dead letters without the original value and headers; admins see those " +
      "too, and the operator tenant's admins also see dead letters of no known tenant. A topic this " +
      'service does not consume is a 400.',
  })
  @ApiOkResponse({ type: DeadLetterPage })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: DeadLettersQuery,
  ): Promise<DeadLetterPage> {
    // The handlers say which topics this service consumes: known once the consumer has started.
    const consumed = this.transport.subscribedTopics();
    if (query.topic !== undefined && !consumed.includes(query.topic)) {
      throw new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
        { field: 'topic', message: `topic must be one this service consumes: ${consumed.join(', ')}` },
      ]);
    }
    const limit = query.limit ?? 50;
    const rows = await this.store.page(readerOf(principal), {
      topic: query.topic,
      cursor: query.cursor === undefined ? undefined : decodePageCursor(query.cursor),
      limit,
      withMessage: principal.role === 'admin',
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(view),
      nextCursor: rows.length > limit && last ? encodePageCursor(last) : null,
    };
  }

  @Post(':id/replay')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Republish a dead letter to its original topic, once the cause is fixed (admin)',
    description:
      'Produces the original key, value and headers again, without the dlq-* headers, and answers once ' +
      'the broker has them; the consumer then applies the event as if it were new. Replaying an event ' +
      'that was applied meanwhile, or replaying twice, changes nothing: the inbox knows its id.',
  })
  @ApiAcceptedResponse({ type: DeadLetterView, description: 'On its topic again; `replays` counts it' })
  @ApiNotFoundResponse({ description: '`dead_letter_not_found`: no such dead letter for this tenant' })
  @ApiConflictResponse({
    description: '`dead_letter_not_kept`: too large to keep; replay it from its DLQ topic',
  })
  async replay(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam()) id: string,
  ): Promise<DeadLetterView> {
    return view(await this.store.replay(readerOf(principal), id, actorOf(principal)));
  }
}
