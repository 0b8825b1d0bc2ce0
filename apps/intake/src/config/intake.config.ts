import { z } from 'zod';
import { isIsoDuration, parseIsoDuration } from '@app/contracts';
import {
  authBlock,
  ConfigError,
  databaseBlock,
  envInt,
  httpBlock,
  kafkaBlock,
  loadConfig,
  rateLimitBlock,
  redisBlock,
} from '@app/config';
import { type InboundPublisher, parseInboundPublishers } from '@app/messaging';
import { DEFAULT_LANGUAGE_CANDIDATES, isSupportedLanguage } from '../language/language-detector';

const languageList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((code) => code.trim().toLowerCase())
      .filter(Boolean),
  )
  .refine((codes) => codes.length > 0 && codes.every(isSupportedLanguage), {
    message: 'must be a comma-separated list of ISO 639-1 codes the detector knows, such as en,tr,el',
  });

/** How intake joins messages into conversations and picks a ticket's language. */
export const conversationBlock = z
  .object({
    REOPEN_WINDOW: z
      .string()
      .default('P7D')
      .refine(isIsoDuration, { message: 'must be an ISO 8601 duration such as P7D or PT30S' }),
    DEFAULT_LANGUAGE: z
      .string()
      .default('en')
      .refine(isSupportedLanguage, { message: 'must be an ISO 639-1 code such as en' }),
    LANGUAGE_CANDIDATES: languageList.optional(),
    INBOUND_EMAIL_MAX_BYTES: envInt(10 * 1024 * 1024, 1024, 50 * 1024 * 1024),
  })
  .transform((env) => ({
    /** A customer message this long after a ticket was solved opens a follow-up instead of reopening it. */
    reopenWindowMs: parseIsoDuration(env.REOPEN_WINDOW),
    defaultLanguage: env.DEFAULT_LANGUAGE,
    languageCandidates: env.LANGUAGE_CANDIDATES ?? [...DEFAULT_LANGUAGE_CANDIDATES],
    inboundEmailMaxBytes: env.INBOUND_EMAIL_MAX_BYTES,
  }));
export type ConversationConfig = z.output<typeof conversationBlock>;

/** The other systems that may publish on tickets.inbound.v1, and the tenants each may act in. */
export const inboundPublishersBlock = z
  .object({
    INBOUND_PUBLISHERS: z.string().default(''),
  })
  .transform((env, ctx): InboundPublisher[] => {
    try {
      return parseInboundPublishers(env.INBOUND_PUBLISHERS);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['INBOUND_PUBLISHERS'], message: (error as Error).message });
      return z.NEVER;
    }
  });

export function loadIntakeConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(
    {
      http: httpBlock('intake', 3001),
      database: databaseBlock('intake'),
      kafka: kafkaBlock('intake'),
      redis: redisBlock,
      auth: authBlock,
      rateLimit: rateLimitBlock,
      conversations: conversationBlock,
      publishers: inboundPublishersBlock,
    },
    env,
  );
  // A tenant exists where an API key names it; a publisher entitled to any other would create
  // rows nobody can ever see or administer.
  const tenants = new Set(config.auth.apiKeys.map((key) => key.tenant));
  for (const publisher of config.publishers) {
    const unknown = publisher.tenants.find((tenant) => !tenants.has(tenant));
    if (unknown !== undefined) {
      throw new ConfigError([
        `INBOUND_PUBLISHERS: publisher ${publisher.name} names tenant ${unknown}, which no API key has`,
      ]);
    }
  }
  return config;
}

export type IntakeConfig = ReturnType<typeof loadIntakeConfig>;
