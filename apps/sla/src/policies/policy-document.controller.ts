import { Body, Controller, Get, Header, HttpCode, HttpStatus, Post, Put, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Request } from 'express';
import { DataSource } from 'typeorm';
import { ApiError, Tenant } from '@app/http';
import { PolicyDocuments } from './policy-document';
import { PolicySimulator, SimulateDto } from './policy-simulator';

export const YAML_CONTENT_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml'];

/** Policies as code: every SLA policy and calendar of the tenant as one YAML document. */
@ApiTags('sla policies')
@ApiBearerAuth()
@Controller('v1/sla-policies')
export class PolicyDocumentController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly documents: PolicyDocuments,
    private readonly simulator: PolicySimulator,
  ) {}

  @Get('export')
  @Header('content-type', 'application/yaml; charset=utf-8')
  @ApiProduces('application/yaml')
  @ApiOperation({ summary: 'All calendars and policies as one YAML document, in match order (admin)' })
  export(@Tenant() tenant: string): Promise<string> {
    return this.documents.export(this.dataSource.manager, tenant);
  }

  @Post('simulate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'What-if: how many tickets of a past window a draft policy would have breached, against what happened (admin)',
    description:
      'Every ticket opened in the window that the draft matches is replayed, with or without a clock. ' +
      'A metric that had a clock keeps its real start, reply or resolution and pauses; one that had ' +
      'none runs from the opening to the first public reply (or solve) and to the solve, without pauses.',
  })
  @ApiBadRequestResponse({
    description: '`validation_failed`: e.g. no `policy`, or a target that cannot be scheduled',
  })
  @ApiOkResponse({ description: 'Breaches the draft would have caused, next to what happened' })
  @ApiNotFoundResponse({ description: '`calendar_not_found`: the draft names an unknown calendar' })
  simulate(@Tenant() tenant: string, @Body() body: SimulateDto) {
    return this.simulator.simulate(this.dataSource.manager, tenant, body);
  }

  @Put('import')
  @ApiConsumes(...YAML_CONTENT_TYPES)
  @ApiBody({ description: 'A document as `export` produces it', schema: { type: 'string' } })
  @ApiQuery({ name: 'dryRun', required: false, type: Boolean })
  @ApiOperation({
    summary: 'Make calendars and policies what the document says, all or nothing (admin)',
    description:
      'Changed policies get a new version (running clocks keep theirs), new ones are created, ones left ' +
      'out are retired, and the list order becomes the match order. Only a change of content makes a ' +
      'new version: a moved policy keeps its version, and importing an unchanged export changes nothing. ' +
      '`dryRun=true` answers the plan only.',
  })
  @ApiBadRequestResponse({
    description:
      '`malformed_yaml`, or `validation_failed` naming every invalid field by its path (e.g. ' +
      '`policies.0.targets.resolution` for a target that cannot be scheduled); nothing is changed',
  })
  @ApiOkResponse({
    description: 'The plan: what was (or, with dryRun, would be) created, changed and retired',
  })
  @ApiUnsupportedMediaTypeResponse({
    description: '`unsupported_media_type`: an empty body or one that is not YAML',
  })
  async import(@Tenant() tenant: string, @Req() request: Request, @Query('dryRun') dryRun?: string) {
    if (typeof request.body !== 'string' || request.body.trim() === '') {
      throw new ApiError(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'unsupported_media_type',
        `Send the document with Content-Type ${YAML_CONTENT_TYPES[0]}`,
      );
    }
    const text = request.body;
    const isDryRun = dryRun === 'true' || dryRun === '1';
    return this.dataSource.transaction((manager) => this.documents.import(manager, tenant, text, isDryRun));
  }
}
