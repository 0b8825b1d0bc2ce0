import { randomUUID } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { type EntityManager } from 'typeorm';
import { parse, stringify, YAMLParseError } from 'yaml';
import { ApiError, type FieldProblem, fieldProblems } from '@app/http';
import { Calendar } from '../calendars/calendar.entity';
import { CalendarDto } from '../calendars/dto/calendar.dto';
import { type BusinessCalendar } from '../calendars/business-time';
import { SlaPolicyDto } from './dto/sla-policy.dto';
import { unschedulableTargets } from './policy-targets';
import { livePolicies, lockPolicies, SlaPolicy, writePolicyVersion } from './sla-policy.entity';

/**
 * Every SLA policy and calendar of a tenant as one YAML document, so platform teams can keep them
 * in git: calendars by name, policies by name and in match order, each naming its calendar.
 */
export interface PolicyDocument {
  version: 1;
  calendars: Array<Omit<CalendarDto, 'holidays' | 'country'> & { holidays: string[]; country?: string }>;
  policies: Array<Omit<SlaPolicyDto, 'calendarId' | 'position'> & { calendar?: string }>;
}

export interface ImportPlan {
  dryRun: boolean;
  calendars: { created: string[]; updated: string[]; unchanged: string[] };
  policies: { created: string[]; updated: string[]; unchanged: string[]; retired: string[] };
}

/** JSON with object keys sorted: Postgres jsonb does not keep the key order a document was written in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

@Injectable()
export class PolicyDocuments {
  async export(manager: EntityManager, tenant: string): Promise<string> {
    const calendars = await manager.find(Calendar, { where: { tenant }, order: { name: 'ASC' } });
    const policies = await livePolicies(manager, tenant);
    const names = new Map(calendars.map((calendar) => [calendar.id, calendar.name]));
    const document: PolicyDocument = {
      version: 1,
      calendars: calendars.map(({ name, timezone, weekly, holidays, country }) => ({
        name,
        timezone,
        weekly,
        holidays,
        ...(country ? { country } : {}),
      })),
      policies: policies.map((policy) => ({
        name: policy.name,
        match: policy.match,
        targets: policy.targets,
        ...(policy.calendarId ? { calendar: names.get(policy.calendarId) } : {}),
        pauseOn: policy.pauseOn,
        warnAt: policy.warnAt,
        escalation: policy.escalation,
      })),
    };
    return stringify(document);
  }

  /**
   * Makes the tenant's calendars and policies what the document says, in the caller's transaction:
   * calendars are created or updated by name; a policy that differs gets a new version (running
   * clocks keep theirs), a new one is created, one missing from the document is retired; the
   * document's order is the match order. Nothing is written on a dry run or on any invalid entry.
   */
  async import(manager: EntityManager, tenant: string, text: string, dryRun: boolean): Promise<ImportPlan> {
    const document = this.validate(text);
    const plan: ImportPlan = {
      dryRun,
      calendars: { created: [], updated: [], unchanged: [] },
      policies: { created: [], updated: [], unchanged: [], retired: [] },
    };
    const calendarIds = new Map<string, string>();
    for (const wanted of document.calendars) {
      const existing = await manager.findOne(Calendar, {
        where: { tenant, name: wanted.name },
        lock: { mode: 'pessimistic_write' },
      });
      const terms = {
        timezone: wanted.timezone,
        weekly: wanted.weekly,
        holidays: wanted.holidays,
        country: wanted.country ?? null,
      };
      if (!existing) {
        plan.calendars.created.push(wanted.name);
        if (!dryRun)
          calendarIds.set(
            wanted.name,
            (await manager.save(manager.create(Calendar, { tenant, name: wanted.name, ...terms }))).id,
          );
        continue;
      }
      calendarIds.set(wanted.name, existing.id);
      if (
        same(
          {
            timezone: existing.timezone,
            weekly: existing.weekly,
            holidays: existing.holidays,
            country: existing.country,
          },
          terms,
        )
      ) {
        plan.calendars.unchanged.push(wanted.name);
      } else {
        plan.calendars.updated.push(wanted.name);
        if (!dryRun) await manager.update(Calendar, { id: existing.id }, terms);
      }
    }

    await lockPolicies(manager, tenant);
    const current = await livePolicies(manager, tenant, { lock: true });
    const byName = new Map(current.map((policy) => [policy.name, policy]));
    const positionOf = this.positions(current, document.policies);
    for (const [index, wanted] of document.policies.entries()) {
      const { calendar, ...terms } = wanted;
      const body = { ...terms, calendarId: calendar ? calendarIds.get(calendar) : undefined };
      const existing = byName.get(wanted.name);
      byName.delete(wanted.name);
      const position = positionOf(index, existing);
      if (!existing) {
        plan.policies.created.push(wanted.name);
        if (!dryRun)
          await writePolicyVersion(manager, { tenant, id: randomUUID(), version: 1, position, body });
        continue;
      }
      // The order is not a policy's content: moving one in the list writes no new version.
      const unchanged = same(
        [
          existing.match,
          existing.targets,
          existing.calendarId,
          existing.pauseOn,
          existing.warnAt,
          existing.escalation,
        ],
        [
          body.match,
          body.targets,
          calendar ? (calendarIds.get(calendar) ?? `new:${calendar}`) : null,
          body.pauseOn ?? ['pending', 'on_hold'],
          body.warnAt ?? [0.75],
          (body.escalation ?? []).map(({ after, notify }) => ({ after, notify })),
        ],
      );
      if (unchanged) {
        plan.policies.unchanged.push(wanted.name);
        if (!dryRun && existing.position !== position)
          await manager.update(SlaPolicy, { id: existing.id, version: existing.version }, { position });
        continue;
      }
      plan.policies.updated.push(wanted.name);
      if (!dryRun) {
        await manager.update(SlaPolicy, { id: existing.id, version: existing.version }, { current: false });
        await writePolicyVersion(manager, {
          tenant,
          id: existing.id,
          version: existing.version + 1,
          position,
          body,
        });
      }
    }
    for (const leftOver of byName.values()) {
      plan.policies.retired.push(leftOver.name);
      if (!dryRun)
        await manager.update(SlaPolicy, { id: leftOver.id, version: leftOver.version }, { active: false });
    }
    return plan;
  }

  /**
   * Where each policy of the document goes. A document that lists the live policies in their match
   * order and adds none (an export, edited or not) keeps every position, so it moves nothing; any
   * other order is written as it stands, the list index being the position.
   */
  private positions(
    current: SlaPolicy[],
    wanted: PolicyDocument['policies'],
  ): (index: number, existing: SlaPolicy | undefined) => number {
    const names = new Set(wanted.map((policy) => policy.name));
    const kept = current.filter((policy) => names.has(policy.name)).map((policy) => policy.name);
    const keepsOrder =
      kept.length === wanted.length && kept.every((name, index) => name === wanted[index].name);
    return (index, existing) => (keepsOrder && existing ? existing.position : index);
  }

  /** The whole document is checked before anything is written; every problem is named by its path. */
  private validate(text: string): PolicyDocument {
    let raw: unknown;
    try {
      raw = parse(text);
    } catch (error) {
      const where = error instanceof YAMLParseError ? ` at line ${error.linePos?.[0].line ?? '?'}` : '';
      throw new ApiError(HttpStatus.BAD_REQUEST, 'malformed_yaml', `The document is not valid YAML${where}`);
    }
    const problems: FieldProblem[] = [];
    const doc = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if (doc.version !== 1) problems.push({ field: 'version', message: 'version must be 1' });
    const calendars = Array.isArray(doc.calendars) ? (doc.calendars as unknown[]) : [];
    const policies = Array.isArray(doc.policies) ? (doc.policies as unknown[]) : [];
    if (doc.calendars !== undefined && !Array.isArray(doc.calendars))
      problems.push({ field: 'calendars', message: 'calendars must be a list' });
    if (!Array.isArray(doc.policies))
      problems.push({ field: 'policies', message: 'policies must be a list' });

    const calendarNames = new Set<string>();
    /** The calendars valid enough to schedule targets on, by name. */
    const schedulable = new Map<string, BusinessCalendar & { name: string }>();
    calendars.forEach((entry, i) => {
      if (!isMapping(entry)) {
        problems.push({
          field: `calendars.${i}`,
          message: 'each calendar must be a mapping with name, timezone and weekly',
        });
        return;
      }
      const dto = plainToInstance(CalendarDto, entry);
      const own = fieldProblems(
        validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }),
        `calendars.${i}`,
      );
      problems.push(...own);
      if (calendarNames.has(dto.name))
        problems.push({ field: `calendars.${i}.name`, message: 'calendar names must be unique' });
      calendarNames.add(dto.name);
      if (own.length === 0) schedulable.set(dto.name, { ...dto, holidays: dto.holidays ?? [] });
    });
    const policyNames = new Set<string>();
    policies.forEach((entry, i) => {
      const { calendar, ...rest } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<
        string,
        unknown
      >;
      const dto = plainToInstance(SlaPolicyDto, rest);
      const own = fieldProblems(
        validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }),
        `policies.${i}`,
      );
      problems.push(...own);
      const on = typeof calendar === 'string' ? schedulable.get(calendar) : undefined;
      if (own.length === 0 && (calendar === undefined || on))
        problems.push(...unschedulableTargets(dto.targets, on ?? null, `policies.${i}.`));
      if (rest.calendarId !== undefined || rest.position !== undefined) {
        problems.push({
          field: `policies.${i}`,
          message: 'name the calendar by `calendar`; the list order is the match order',
        });
      }
      if (calendar !== undefined && (typeof calendar !== 'string' || !calendarNames.has(calendar))) {
        problems.push({
          field: `policies.${i}.calendar`,
          message: 'calendar must name a calendar of this document',
        });
      }
      if (policyNames.has(dto.name))
        problems.push({ field: `policies.${i}.name`, message: 'policy names must be unique' });
      policyNames.add(dto.name);
    });
    if (problems.length > 0) {
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'validation_failed',
        'The policy document is invalid; nothing was changed',
        problems,
      );
    }
    return {
      version: 1,
      calendars: calendars.map((entry) => {
        const calendar = entry as CalendarDto;
        return { ...calendar, holidays: calendar.holidays ?? [] };
      }),
      policies: policies as PolicyDocument['policies'],
    };
  }
}
