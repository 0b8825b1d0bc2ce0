import { Body, Controller, Get, HttpStatus, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { DataSource } from 'typeorm';
import { ApiError, Tenant } from '@app/http';
import { validTimeZone } from '../templates/render-template';
import { RecipientPreference } from './recipient-preference.entity';

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

export class QuietHoursDto {
  @ApiProperty({ example: '22:00' }) @Matches(HH_MM, { message: 'from must be HH:MM' }) from: string;
  @ApiProperty({ example: '07:00' }) @Matches(HH_MM, { message: 'to must be HH:MM' }) to: string;
  @ApiProperty({ example: 'Europe/Istanbul' }) @IsString() @MaxLength(64) timeZone: string;
}

export class RecipientEmailDto {
  @ApiProperty({ example: 'lena@agents.example.com' }) @IsEmail() @MaxLength(320) email: string;
}

export class RecipientPreferenceDto extends RecipientEmailDto {
  @ApiPropertyOptional({ type: QuietHoursDto, nullable: true, description: 'null removes them' })
  @IsOptional()
  @ValidateNested()
  @Type(() => QuietHoursDto)
  quietHours?: QuietHoursDto | null;

  @ApiPropertyOptional({ description: 'Team-lead notifications as one email per digest interval' })
  @IsOptional()
  @IsBoolean()
  digest?: boolean;
}

const view = (p: RecipientPreference) => ({
  email: p.email,
  quietHours: p.quietFrom && p.quietTo ? { from: p.quietFrom, to: p.quietTo, timeZone: p.timeZone } : null,
  digest: p.digest,
  updatedAt: p.updatedAt,
});

/** Staff addresses' quiet hours and digest choice. The address travels in the body, never the URL. */
@ApiTags('recipient preferences')
@ApiBearerAuth()
@Controller('v1/recipient-preferences')
export class RecipientPreferencesController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Every recipient with quiet hours or digests (admin)' })
  async list(@Tenant() tenant: string) {
    const rows = await this.dataSource
      .getRepository(RecipientPreference)
      .find({ where: { tenant }, order: { email: 'ASC' } });
    return { items: rows.map(view) };
  }

  @Put()
  @ApiOperation({
    summary:
      "Set an address's quiet hours and digest choice; quietHours null and digest false reset them (admin)",
  })
  async put(@Tenant() tenant: string, @Body() body: RecipientPreferenceDto) {
    if (body.quietHours && !validTimeZone(body.quietHours.timeZone)) {
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'validation_failed',
        'quietHours.timeZone must be an IANA time zone',
        [{ field: 'quietHours.timeZone', message: 'must be an IANA time zone such as Europe/Istanbul' }],
      );
    }
    const repository = this.dataSource.getRepository(RecipientPreference);
    const email = body.email.toLowerCase();
    const existing = await repository.findOneBy({ tenant, email });
    const quiet = body.quietHours === undefined ? undefined : body.quietHours;
    const saved = await repository.save({
      tenant,
      email,
      quietFrom: quiet === undefined ? (existing?.quietFrom ?? null) : (quiet?.from ?? null),
      quietTo: quiet === undefined ? (existing?.quietTo ?? null) : (quiet?.to ?? null),
      timeZone: quiet?.timeZone ?? existing?.timeZone ?? 'UTC',
      digest: body.digest ?? existing?.digest ?? false,
    });
    return view(saved);
  }
}
