import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { type Request, type Response } from 'express';
import { DataSource } from 'typeorm';
import { API_ERROR_SCHEMA_NAME, ApiError, Public } from '@app/http';
import { TicketContact } from '../contacts/ticket-contact.entity';
import { alreadyAnsweredPage, surveyFormPage, surveyPageLocale, thankYouPage } from './survey-page';
import { type Survey } from './survey.entity';
import { SurveyService } from './survey-service';

export class SurveyAnswerDto {
  @ApiProperty({ minimum: 1, maximum: 5 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5)
  score: number;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  comment?: string;
}

/** The survey page's own form posts urlencoded; an API client posts JSON and gets JSON back. */
const fromBrowserForm = (request: Request) => request.is('application/x-www-form-urlencoded') !== false;

/**
 * The customer's side of CSAT. The link in the email is the only credential: 256 random bits, good
 * for one answer. Opening it never records anything (mail scanners open links); the page's form does.
 */
@ApiTags('surveys')
@Controller('v1/surveys')
export class SurveysController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly surveys: SurveyService,
  ) {}

  @Get(':token')
  @Public()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The survey page behind the emailed link, in the customer’s language' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The form, or a page saying the survey was already answered' })
  async page(@Param('token') token: string, @Query('score') score?: string) {
    const survey = await this.surveys.find(this.dataSource.manager, token);
    const locale = await this.localeOf(survey);
    if (survey.answeredAt) return alreadyAnsweredPage(locale);
    return surveyFormPage(locale, `/v1/surveys/${encodeURIComponent(token)}`, score);
  }

  @Post(':token')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Record a CSAT answer {score: 1..5, comment?}; each link answers once. The page’s form (urlencoded) gets a thank-you page in the customer’s language, JSON gets JSON.',
  })
  @ApiOkResponse({
    description: 'Recorded: JSON for a JSON request, a thank-you page for the page’s form',
    content: {
      'application/json': { schema: { type: 'object' } },
      'text/html': { schema: { type: 'string' } },
    },
  })
  @ApiNotFoundResponse({ description: '`survey_not_found`: no survey has this link' })
  @ApiConflictResponse({
    description: '`survey_already_answered` (JSON), or the already-answered page for the form',
    content: {
      'application/json': { schema: { $ref: `#/components/schemas/${API_ERROR_SCHEMA_NAME}` } },
      'text/html': { schema: { type: 'string' } },
    },
  })
  async answer(
    @Param('token') token: string,
    @Body() body: SurveyAnswerDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const comment = body.comment?.trim() || null;
    if (!fromBrowserForm(request)) {
      const survey = await this.dataSource.transaction((manager) =>
        this.surveys.answer(manager, token, body.score, comment),
      );
      return { ticketId: survey.ticketId, score: survey.score, answeredAt: survey.answeredAt };
    }
    const found = await this.surveys.find(this.dataSource.manager, token);
    const locale = await this.localeOf(found);
    response.setHeader('content-type', 'text/html; charset=utf-8').setHeader('cache-control', 'no-store');
    try {
      await this.dataSource.transaction((manager) =>
        this.surveys.answer(manager, token, body.score, comment),
      );
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'survey_already_answered') throw error;
      response.status(409);
      return alreadyAnsweredPage(locale);
    }
    return thankYouPage(locale);
  }

  private async localeOf(survey: Survey): Promise<string> {
    const contact = await this.dataSource.manager.findOneBy(TicketContact, {
      tenant: survey.tenant,
      ticketId: survey.ticketId,
    });
    return surveyPageLocale([contact?.customerLocale, contact?.language]);
  }
}
