import { Body, Controller, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { Public } from '@app/http';
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

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

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
  @ApiOperation({ summary: 'The survey page behind the emailed link: five buttons and a comment box' })
  async page(@Param('token') token: string, @Query('score') score?: string) {
    const survey = await this.surveys.find(this.dataSource.manager, token);
    const action = `/v1/surveys/${encodeURIComponent(token)}`;
    if (survey.answeredAt) return page('<p>Thank you, your answer is already recorded.</p>');
    const buttons = [1, 2, 3, 4, 5]
      .map((n) => `<button name="score" value="${n}"${String(n) === score ? ' autofocus' : ''}>${n}</button>`)
      .join(' ');
    return page(
      `<form method="post" action="${escapeHtml(action)}">` +
        '<p>How satisfied are you with how we handled your request? (1 = not at all, 5 = very)</p>' +
        `<p><textarea name="comment" maxlength="2000" rows="4" cols="50" placeholder="Anything to add?"></textarea></p>` +
        `<p>${buttons}</p></form>`,
    );
  }

  @Post(':token')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Record a CSAT answer {score: 1..5, comment?}; each link answers once' })
  async answer(@Param('token') token: string, @Body() body: SurveyAnswerDto) {
    const survey = await this.dataSource.transaction((manager) =>
      this.surveys.answer(manager, token, body.score, body.comment?.trim() || null),
    );
    return { ticketId: survey.ticketId, score: survey.score, answeredAt: survey.answeredAt };
  }
}

function page(content: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Support survey</title></head><body>${content}</body></html>`;
}
