import { randomBytes } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  PartialType,
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
  MaxLength,
  MinLength,
} from 'class-validator';
import { DataSource } from 'typeorm';
import { notFound, Tenant, uuidParam } from '@app/http';
import { SUBSCRIBABLE_EVENTS } from './webhook-fan-out';
import { Webhook, type WebhookKind } from './webhook.entity';

const EVENT_CHOICES = ['*', ...SUBSCRIBABLE_EVENTS];

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
  secret?: string;
}

export class UpdateWebhookDto extends PartialType(CreateWebhookDto) {
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

/** Never the secret: it is shown once, when it is set. */
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

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Post()
  @ApiOperation({
    summary: 'Subscribe a URL to events (admin). Webhooks are signed; Slack-compatible URLs receive text',
  })
  async create(@Tenant() tenant: string, @Body() body: CreateWebhookDto) {
    const kind = body.kind ?? 'webhook';
    const secret =
      kind === 'webhook' ? (body.secret ?? `whsec_${randomBytes(32).toString('base64url')}`) : null;
    const webhook = await this.dataSource
      .getRepository(Webhook)
      .save({ tenant, kind, url: body.url, events: [...new Set(body.events)], secret, active: true });
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
  async get(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    return view(await this.find(tenant, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the URL, events, secret or pause it with active=false (admin)' })
  async update(
    @Tenant() tenant: string,
    @Param('id', uuidParam()) id: string,
    @Body() body: UpdateWebhookDto,
  ) {
    const webhook = await this.find(tenant, id);
    const kind = body.kind ?? webhook.kind;
    const secret =
      kind === 'slack'
        ? null
        : (body.secret ?? webhook.secret ?? `whsec_${randomBytes(32).toString('base64url')}`);
    const saved = await this.dataSource.getRepository(Webhook).save({
      ...webhook,
      ...body,
      kind,
      events: body.events ? [...new Set(body.events)] : webhook.events,
      secret,
    });
    return { ...view(saved), ...(secret !== webhook.secret ? { secret } : {}) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a subscription; its deliveries not yet sent fail, visibly, in the ledger (admin)',
  })
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
