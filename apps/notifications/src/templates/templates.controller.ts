import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { DataSource } from 'typeorm';
import { ApiError, notFound, Tenant } from '@app/http';
import { placeholdersOf, renderTemplate, TemplateVariableMissingError } from './render-template';
import {
  isTemplateKind,
  type MessageTemplate,
  TEMPLATE_CATALOG,
  type TemplateKind,
} from './template-catalog';
import { TemplateOverride } from './template-override.entity';
import { TemplateStore } from './template-store';

const KINDS = Object.keys(TEMPLATE_CATALOG) as TemplateKind[];
const LOCALE = /^[a-z]{2,3}$/;

export class TemplateDto {
  @ApiProperty({ maxLength: 300, example: '[{{reference}}] We received your request' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(300)
  subject: string;

  @ApiProperty({ maxLength: 20_000 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(20_000)
  body: string;
}

export class PreviewDto {
  @ApiProperty({ enum: KINDS })
  @IsIn(KINDS)
  kind: TemplateKind;

  @ApiProperty({ example: 'tr' })
  @Matches(LOCALE, { message: 'locale must be an ISO 639-1 code such as tr' })
  locale: string;

  @ApiPropertyOptional({ description: 'A draft to render instead of the stored template' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  subject?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  body?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "Values to use instead of the sample ticket's",
  })
  // Omitted means none; null is not an object of values (IsOptional would let it through).
  @ValidateIf((_, value) => value !== undefined)
  @IsObject()
  values?: Record<string, unknown>;
}

/** The sample ticket previews render against: every variable any kind offers. */
const SAMPLE: Record<string, string> = {
  reference: 'TCK-000042',
  subject: 'My order has not arrived',
  customerName: 'Ayşe Yılmaz',
  agentName: 'Alex Agent',
  responseTime: 'by Monday, November 30, 2026 at 12:00 PM (Europe/Istanbul)',
  message: 'Your parcel left our warehouse this morning; here is the tracking link.',
  surveyUrl: 'https://support.example.com/v1/surveys/sample-token',
  metric: 'first response',
  dueAt: '2026-11-30T09:00:00.000Z',
  breachedAt: '2026-11-30T09:00:00.000Z',
  percent: '75%',
  step: '1',
  recipientName: 'Lena Lead',
  leadName: 'Lena Lead',
  previousAgent: 'Sam Agent',
  overflows: '2',
  stopReason: 'no other qualified agent can take it',
  score: '2',
  comment: 'It took too long.',
};

@ApiTags('templates')
@ApiBearerAuth()
@Controller('v1/templates')
export class TemplatesController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: TemplateStore,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every kind with its variables and each locale, shipped or customised (admin)' })
  async list(@Tenant() tenant: string) {
    const overrides = await this.dataSource.getRepository(TemplateOverride).findBy({ tenant });
    return {
      items: KINDS.map((kind) => {
        const spec = TEMPLATE_CATALOG[kind];
        const shipped: Record<string, MessageTemplate> = spec.locales;
        const locales = new Set([
          ...Object.keys(shipped),
          ...overrides.filter((o) => o.kind === kind).map((o) => o.locale),
        ]);
        return {
          kind,
          audience: spec.audience,
          variables: spec.variables,
          locales: [...locales].sort().map((locale) => {
            const custom = overrides.find((o) => o.kind === kind && o.locale === locale);
            const template = custom ?? shipped[locale];
            return {
              locale,
              source: custom ? 'custom' : 'shipped',
              subject: template.subject,
              body: template.body,
            };
          }),
        };
      }),
    };
  }

  @Put(':kind/:locale')
  @ApiOperation({ summary: "Set the tenant's own template for a kind and locale (admin)" })
  async put(
    @Tenant() tenant: string,
    @Param('kind') kind: string,
    @Param('locale') locale: string,
    @Body() body: TemplateDto,
  ) {
    const known = this.knownKind(kind);
    if (!LOCALE.test(locale)) {
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'invalid_locale',
        'locale must be an ISO 639-1 code such as tr',
      );
    }
    this.assertVariables(known, body);
    await this.dataSource
      .getRepository(TemplateOverride)
      .upsert({ tenant, kind: known, locale, subject: body.subject, body: body.body }, [
        'tenant',
        'kind',
        'locale',
      ]);
    return { kind: known, locale, source: 'custom', subject: body.subject, body: body.body };
  }

  @Delete(':kind/:locale')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a customised template; a shipped locale reverts to the shipped text (admin)',
  })
  async remove(@Tenant() tenant: string, @Param('kind') kind: string, @Param('locale') locale: string) {
    const deleted = await this.dataSource
      .getRepository(TemplateOverride)
      .delete({ tenant, kind: this.knownKind(kind), locale });
    if (!deleted.affected) throw notFound('template_not_found', `No custom ${kind} template in ${locale}`);
  }

  @Post('preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'Render a stored or draft template against a sample ticket (admin)' })
  async preview(@Tenant() tenant: string, @Body() body: PreviewDto) {
    const resolved = await this.store.resolve(this.dataSource.manager, tenant, body.kind, [body.locale]);
    const template = {
      subject: body.subject ?? resolved.template.subject,
      body: body.body ?? resolved.template.body,
    };
    this.assertVariables(body.kind, template);
    try {
      return {
        kind: body.kind,
        source: body.subject || body.body ? 'draft' : resolved.source,
        ...renderTemplate(template, resolved.locale, { ...SAMPLE, ...asText(body.values) }),
      };
    } catch (error) {
      if (error instanceof TemplateVariableMissingError) {
        throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, 'template_variable_missing', error.message);
      }
      throw error;
    }
  }

  private knownKind(kind: string): TemplateKind {
    if (!isTemplateKind(kind)) {
      throw notFound('unknown_template_kind', `No template kind ${kind}; known: ${KINDS.join(', ')}`);
    }
    return kind;
  }

  /** An unknown placeholder would fail every send later; it is refused now instead. */
  private assertVariables(kind: TemplateKind, template: MessageTemplate): void {
    const offered: readonly string[] = TEMPLATE_CATALOG[kind].variables;
    const unknown = placeholdersOf(template).filter((name) => !offered.includes(name));
    if (unknown.length > 0) {
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'unknown_template_variables',
        `${kind} offers ${offered.map((v) => `{{${v}}}`).join(', ')}; not ${unknown.map((v) => `{{${v}}}`).join(', ')}`,
      );
    }
  }
}

/** Preview values as the text they would be in a message, whatever JSON type they came as. */
function asText(values: Record<string, unknown> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
}
