import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { pickLocale, type RenderedMessage, renderTemplate } from './render-template';
import {
  DEFAULT_LOCALE,
  type MessageTemplate,
  TEMPLATE_CATALOG,
  type TemplateKind,
} from './template-catalog';
import { TemplateOverride } from './template-override.entity';

export interface ResolvedTemplate {
  kind: TemplateKind;
  locale: string;
  template: MessageTemplate;
  source: 'shipped' | 'custom';
}

/** The template a tenant sends for a kind and locale: their own version if any, else the shipped one. */
@Injectable()
export class TemplateStore {
  async resolve(
    manager: EntityManager,
    tenant: string,
    kind: TemplateKind,
    preferred: Array<string | null | undefined>,
  ): Promise<ResolvedTemplate> {
    const overrides = await manager.findBy(TemplateOverride, { tenant, kind });
    const shipped: Record<string, MessageTemplate> = TEMPLATE_CATALOG[kind].locales;
    const locale = pickLocale([...Object.keys(shipped), ...overrides.map((o) => o.locale)], preferred);
    const custom = overrides.find((override) => override.locale === locale);
    if (custom) return { kind, locale, template: custom, source: 'custom' };
    const fallback = shipped[locale] ? locale : DEFAULT_LOCALE;
    return { kind, locale: fallback, template: shipped[fallback], source: 'shipped' };
  }

  async render(
    manager: EntityManager,
    tenant: string,
    kind: TemplateKind,
    preferred: Array<string | null | undefined>,
    values: Record<string, string>,
  ): Promise<RenderedMessage> {
    const { locale, template } = await this.resolve(manager, tenant, kind, preferred);
    return renderTemplate(template, locale, values);
  }
}
