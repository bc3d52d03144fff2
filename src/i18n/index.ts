/**
 * The languages of sump's pages and mails.
 *
 * To add a string: add its key and English text to src/i18n/en.ts, then the same key to every
 * other catalogue (src/i18n/pt.ts): typecheck fails until each has it. In a template, write
 * `{{ t('login.title') }}` or `{{ t('mail.greeting', { name: name }) }}`; from a handler, pass a
 * key (`title: 'login.title'`) or `{ key, params }` where the template shows `{{ t(title) }}`.
 * Parameters are `{name}` in the text; the result is plain text, escaped where it is rendered.
 *
 * To add a language: a catalogue file typed `Catalogue` (as pt.ts), its code in LANGUAGES and
 * CATALOGUES below, and a test in tests/unit/i18n.test.ts.
 */
import { en } from './en.js';
import { pt } from './pt.js';

export type MessageKey = keyof typeof en;
/** What a language must hold: every key of English, each a string. */
export type Catalogue = { readonly [K in MessageKey]: string };
export type Language = 'en' | 'pt';
export type MessageParams = Readonly<Record<string, string | number>>;

/**
 * What a handler hands a template to show: a key, a key with parameters, or text that comes
 * from elsewhere as it is (a scope name, oidc-provider's error description).
 */
export type Text = MessageKey | { readonly key: MessageKey; readonly params?: MessageParams } | { readonly text: string };

export const LANGUAGES: readonly Language[] = ['en', 'pt'];
export const DEFAULT_LANGUAGE: Language = 'en';

const CATALOGUES: Readonly<Record<Language, Catalogue>> = { en, pt };

/** A BCP 47 language tag in its plain shape: letters, then `-` and letters or digits. */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;
/** More than this is not a list of preferences anyone sends: the rest is ignored. */
const MAX_TAGS = 16;

export const isLanguage = (value: unknown): value is Language => typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);

export const isMessageKey = (value: unknown): value is MessageKey => typeof value === 'string' && Object.hasOwn(en, value);

/**
 * The language of a request from its `ui_locales` (space-separated BCP 47 tags, most preferred
 * first): the first tag whose primary language sump speaks (`pt`, `pt-BR`, `PT-pt` → pt);
 * malformed or unsupported tags are skipped; nothing left, or no `ui_locales`, is `fallback`
 * (the pages pass the browser's Accept-Language choice; English otherwise).
 */
export function pickLanguage(uiLocales: unknown, fallback: Language = DEFAULT_LANGUAGE): Language {
  if (typeof uiLocales !== 'string') return fallback;
  const tags = uiLocales.split(/\s+/).filter((tag) => tag !== '').slice(0, MAX_TAGS);
  for (const tag of tags) {
    if (!LANGUAGE_TAG.test(tag)) continue;
    const primary = tag.split('-')[0]?.toLowerCase();
    if (isLanguage(primary)) return primary;
  }
  return fallback;
}

/** A key's text in a language, its `{param}`s filled in one pass (a value is never read as one). */
export function translate(language: Language, key: MessageKey, params: MessageParams = {}): string {
  const text = CATALOGUES[language][key] ?? en[key];
  return text.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/**
 * A `Text` in a language; what templates call as `t(…)`. A string that is not a key is shown as
 * it is (so a template handed plain text still renders it), and nothing is the empty string.
 */
export function translateText(language: Language, text: unknown, params?: MessageParams): string {
  if (text === undefined || text === null) return '';
  if (isMessageKey(text)) return translate(language, text, params);
  if (typeof text === 'string') return text;
  if (typeof text === 'object') {
    const value = text as { key?: unknown; params?: MessageParams; text?: unknown };
    if (isMessageKey(value.key)) return translate(language, value.key, { ...value.params, ...params });
    if (typeof value.text === 'string') return value.text;
  }
  return String(text);
}
