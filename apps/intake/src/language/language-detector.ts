import { franc } from 'franc';
import langs from 'langs';

/**
 * Languages a support desk most often meets. Restricting the detector to a known set is what makes
 * short support messages come out right: among all 400 languages franc knows, a two-line Turkish
 * message can look like Hausa.
 */
export const DEFAULT_LANGUAGE_CANDIDATES = [
  'en',
  'es',
  'fr',
  'de',
  'it',
  'pt',
  'nl',
  'sv',
  'da',
  'no',
  'fi',
  'pl',
  'cs',
  'ro',
  'hu',
  'el',
  'tr',
  'ru',
  'uk',
  'bg',
  'ar',
  'he',
  'fa',
  'hi',
  'ja',
  'zh',
  'ko',
  'th',
  'vi',
  'id',
] as const;

/**
 * franc names individual languages (ISO 639-3) where ISO 639-1 has only the macrolanguage, so
 * a few codes map by hand: franc says `arb` (Standard Arabic) where 639-1 says `ar`.
 */
const INDIVIDUAL_TO_MACRO: Record<string, string> = {
  arb: 'ar',
  cmn: 'zh',
  pes: 'fa',
  nob: 'no',
  swh: 'sw',
  zsm: 'ms',
  azj: 'az',
  uzn: 'uz',
  ekk: 'et',
  lvs: 'lv',
  khk: 'mn',
  ydd: 'yi',
  plt: 'mg',
  gaz: 'om',
  npi: 'ne',
  quy: 'qu',
};
const MACRO_TO_INDIVIDUAL = Object.fromEntries(
  Object.entries(INDIVIDUAL_TO_MACRO).map(([individual, macro]) => [macro, individual]),
);

function toIso6391(code3: string): string | undefined {
  return INDIVIDUAL_TO_MACRO[code3] ?? langs.where('3', code3)?.['1'];
}

function toFrancCode(code1: string): string | undefined {
  return MACRO_TO_INDIVIDUAL[code1] ?? langs.where('1', code1)?.['3'];
}

export function isSupportedLanguage(code: string): boolean {
  return toFrancCode(code) !== undefined;
}

/**
 * Below this many letters a guess is noise ("Refund please" scores as Danish), so the ticket takes
 * the customer's locale or the default instead. franc's scores are relative to the best match, so
 * a close runner-up says little: a clearly Turkish sentence can score Indonesian at 0.98.
 */
const MIN_LETTERS = 20;

export interface LanguageDetectorOptions {
  candidates: readonly string[];
}

/** Offline language detection (franc trigrams), answering ISO 639-1 codes or undefined when unsure. */
export class LanguageDetector {
  private readonly only: string[];

  constructor(options: LanguageDetectorOptions) {
    this.only = options.candidates.map((code) => {
      const francCode = toFrancCode(code);
      if (!francCode) throw new Error(`Language "${code}" is not an ISO 639-1 code the detector knows`);
      return francCode;
    });
  }

  detect(text: string): string | undefined {
    const letters = text.replace(/[^\p{L}]/gu, '');
    if (letters.length < MIN_LETTERS) return undefined;
    const best = franc(text, { only: this.only, minLength: MIN_LETTERS });
    return best === 'und' ? undefined : toIso6391(best);
  }
}

export interface TicketLanguage {
  language: string;
  source: 'customer_locale' | 'detected' | 'default';
}

/** A ticket's language: the customer's own locale wins, then detection on their words, then the default. */
export class TicketLanguagePolicy {
  constructor(
    private readonly detector: LanguageDetector,
    private readonly defaultLanguage: string,
  ) {}

  choose(customerLocale: string | null | undefined, text: string): TicketLanguage {
    const fromLocale = customerLocale?.split('-')[0]?.toLowerCase();
    if (fromLocale) return { language: fromLocale, source: 'customer_locale' };
    const detected = this.detector.detect(text);
    if (detected) return { language: detected, source: 'detected' };
    return { language: this.defaultLanguage, source: 'default' };
  }
}
