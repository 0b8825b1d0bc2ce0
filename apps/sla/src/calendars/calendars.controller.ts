import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isUniqueViolation } from '@app/database';
import { conflict, notFound, Tenant, uuidParam } from '@app/http';
import { Calendar } from './calendar.entity';
import { CalendarDto } from './dto/calendar.dto';

const view = ({ id, name, timezone, weekly, holidays, country, createdAt }: Calendar) => ({
  id,
  name,
  timezone,
  weekly,
  holidays,
  country,
  createdAt,
});

@ApiTags('calendars')
@ApiBearerAuth()
@Controller('v1/calendars')
export class CalendarsController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Post()
  @ApiOperation({ summary: 'Add a business-hours calendar (admin)' })
  @ApiCreatedResponse({ description: 'The new calendar' })
  @ApiConflictResponse({ description: '`calendar_exists`: a calendar with this name exists' })
  async create(@Tenant() tenant: string, @Body() body: CalendarDto) {
    try {
      return view(
        await this.dataSource
          .getRepository(Calendar)
          .save({ ...body, tenant, holidays: body.holidays ?? [], country: body.country ?? null }),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('calendar_exists', 'A calendar with this name exists');
      throw error;
    }
  }

  @Get()
  @ApiOperation({ summary: 'List calendars (admin)' })
  async list(@Tenant() tenant: string) {
    return (
      await this.dataSource.getRepository(Calendar).find({ where: { tenant }, order: { name: 'ASC' } })
    ).map(view);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One calendar (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  async show(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    const calendar = await this.dataSource.getRepository(Calendar).findOneBy({ id, tenant });
    if (!calendar) throw notFound('calendar_not_found', `No calendar ${id}`);
    return view(calendar);
  }
}
