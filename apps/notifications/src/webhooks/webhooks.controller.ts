import { randomBytes } from 'node:crypto';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Patch,
  Post,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { DataSource } from 'typeorm';
import {
  ApiError,
  describeRefusal,
  type DestinationAllowList,
  notFound,
  refusedUrl,
  Tenant,
  uuidParam,
} from '@app/http';
import { type NotificationsConfig } from '../config/notifications.config';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { SUBSCRIBABLE_EVENTS } from './webhook-fan-out';
import { SEALED_PREFIX, WebhookSecrets } from './webhook-secrets';
import { Webhook, type WebhookKind } from './webhook.entity';

const EVENT_CHOICES = ['*', ...SUBSCRIBABLE_EVENTS];
/** A chosen secret that looked sealed would be mistaken for one when the service starts. */
const NOT_SEALED = new RegExp(`^(?!${SEALED_PREFIX})`);

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.example.com/ticketflow' })
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  @MaxLength(2000)
  url: string;

  @ApiProperty({ enum: EVENT_CHOICES, isArray: true, example: ['sla.breached', 'survey.answered'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsIn(EVENT_CHOICES, { each: true })
  events: string[];

  @ApiPropertyOptional({ enum: ['webhook', 'slack'], default: 'webhook' })
  @IsOptional()
  @IsIn(['webhook', 'slack'])
  kind?: WebhookKind;

  @ApiPropertyOptional({
    description: 'Signs deliveries; generated when omitted and shown only in this response',
  })
  @IsOptional()
  @IsString()
  @MinLength(16)
  @MaxLength(200)
  @Matches(NOT_SEALED, { message: `secret may not start with ${SEALED_PREFIX}` })
  secret?: string;
}

/** Absent leaves the field as it is; present, even as null, must be valid (null is not a URL). */
const UnlessAbsent = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);

export class UpdateWebhookDto {
  @ApiPropertyOptional({ example: 'https://hooks.example.com/ticketflow' })
  @UnlessAbsent()
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  @MaxLength(2000)
  url?: string;

  @ApiPropertyOptional({ enum: EVENT_CHOICES, isArray: true })
  @UnlessAbsent()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsIn(EVENT_CHOICES, { each: true })
  events?: string[];

  @ApiPropertyOptional({ enum: ['webhook', 'slack'] })
  @UnlessAbsent()
  @IsIn(['webhook', 'slack'])
  kind?: WebhookKind;

  @ApiPropertyOptional({ description: 'A new signing secret, shown only in this response' })
  @UnlessAbsent()
  @IsString()
  @MinLength(16)
  @MaxLength(200)
  @Matches(NOT_SEALED, { message: `secret may not start with ${SEALED_PREFIX}` })
  secret?: string;

  @ApiPropertyOptional()
  @UnlessAbsent()
  @IsBoolean()
  active?: boolean;
}

/**
 * Never the secret: it is shown once, when it is set. The URL is shown whole: only admins see
 * subscriptions, and they need it to recognise their own receivers.
 */
const view = ({ id, kind, url, events, active, secret, createdAt, updatedAt }: Webhook) => ({
  id,
  kind,
  url,
  events,
  active,
  signed: secret !== null,
  createdAt,
  updatedAt,
});

/** Refused at registration, as it would be when delivering: the field, and why, in a stable 400. */
function assertReachable(url: string, allow: DestinationAllowList): void {
  const refusal = refusedUrl(url, allow);
  if (!refusal) return;
  const message = describeRefusal(refusal);
  throw new ApiError(HttpStatus.BAD_REQUEST, 'webhook_destination_refused', message, [
    { field: 'url', message },
  ]);
}

const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly secrets: WebhookSecrets,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Subscribe a URL to events (admin). Webhooks are signed; Slack-compatible URLs receive text',
    description:
      'The URL must be http(s) and not an internal destination (loopback, private, link-local, metadata, ...) unless NOTIFICATIONS_WEBHOOK_ALLOWED_DESTINATIONS opens it: else 400 webhook_destination_refused naming url',
  })
  async create(@Tenant() tenant: string, @Body() body: CreateWebhookDto) {
    assertReachable(body.url, this.config.webhooks.allowedDestinations);
    const kind = body.kind ?? 'webhook';
    const secret = kind === 'webhook' ? (body.secret ?? newSecret()) : null;
    const webhook = await this.dataSource.getRepository(Webhook).save({
      tenant,
      kind,
      url: body.url,
      events: [...new Set(body.events)],
      secret: secret === null ? null : this.secrets.seal(tenant, secret),
      active: true,
    });
    return { ...view(webhook), secret };
  }

  @Get()
  @ApiOperation({ summary: 'Every subscription (admin)' })
  async list(@Tenant() tenant: string) {
    const webhooks = await this.dataSource
      .getRepository(Webhook)
      .find({ where: { tenant }, order: { createdAt: 'ASC' } });
    return { items: webhooks.map(view) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One subscription (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  async get(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    return view(await this.find(tenant, id));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change the URL, events, secret or pause it with active=false (admin); null is refused',
    description:
      'The URL must be http(s) and not an internal destination (loopback, private, link-local, metadata, ...) unless NOTIFICATIONS_WEBHOOK_ALLOWED_DESTINATIONS opens it: else 400 webhook_destination_refused naming url',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  async update(
    @Tenant() tenant: string,
    @Param('id', uuidParam()) id: string,
    @Body() body: UpdateWebhookDto,
  ) {
    if (body.url !== undefined) assertReachable(body.url, this.config.webhooks.allowedDestinations);
    const webhook = await this.find(tenant, id);
    const kind = body.kind ?? webhook.kind;
    // A new secret when one is given, or when a Slack hook becomes a signed webhook.
    const fresh = kind === 'slack' ? null : (body.secret ?? (webhook.secret ? null : newSecret()));
    const secret =
      kind === 'slack' ? null : fresh !== null ? this.secrets.seal(tenant, fresh) : webhook.secret;
    const saved = await this.dataSource.getRepository(Webhook).save({
      ...webhook,
      ...body,
      kind,
      events: body.events ? [...new Set(body.events)] : webhook.events,
      secret,
    });
    return { ...view(saved), ...(fresh !== null ? { secret: fresh } : {}) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a subscription; its deliveries not yet sent fail, visibly, in the ledger (admin)',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  async remove(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    await this.find(tenant, id);
    await this.dataSource.getRepository(Webhook).delete({ tenant, id });
  }

  private async find(tenant: string, id: string): Promise<Webhook> {
    const webhook = await this.dataSource.getRepository(Webhook).findOneBy({ tenant, id });
    if (!webhook) throw notFound('webhook_not_found', `No webhook ${id}`);
    return webhook;
  }
}
