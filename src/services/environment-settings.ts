import { z } from 'zod';
import type { EnvironmentRow } from '../db/queries/environments.js';
import { errors } from '../errors/codes.js';
import { characterCount, isPrintable } from './account-fields.js';
import { plainHttpsOrigin } from './url-rules.js';

const DAY = 24 * 60 * 60;

/**
 * An environment's settings as stored (partial, merged key by key by PATCH) and as used, with
 * every default filled in. The pages, the API and the provider read the resolved form only.
 */
export const environmentSettingsSchema = z
  .object({
    branding: z
      .object({
        displayName: z.string().min(1).max(100).refine(isPrintable, 'must not contain control characters').optional(),
        logoUrl: z
          .string()
          .url()
          .refine((value) => value.startsWith('https://'), 'must be an https URL')
          .refine((value) => plainHttpsOrigin(value) !== undefined, 'must be on a plain host name (letters, digits, dots, hyphens)')
          .optional(),
        primaryColor: z
          .string()
          .regex(/^#[0-9a-fA-F]{6}$/, 'must be #rrggbb')
          .optional(),
      })
      .strict()
      .optional(),
    signup: z.object({ enabled: z.boolean().optional(), api: z.boolean().optional() }).strict().optional(),
    emailVerification: z.object({ required: z.boolean().optional() }).strict().optional(),
    passwordPolicy: z.object({ minLength: z.number().int().min(8).max(64).optional() }).strict().optional(),
    sessions: z
      .object({
        lifetimeSeconds: z.number().int().min(300).max(365 * DAY).optional(),
        idleSeconds: z.number().int().min(60).max(365 * DAY).optional(),
      })
      .strict()
      .optional(),
    tokens: z
      .object({
        accessTokenTtl: z.number().int().min(60).max(DAY).optional(),
        idTokenTtl: z.number().int().min(60).max(DAY).optional(),
        refreshTokenTtl: z.number().int().min(300).max(365 * DAY).optional(),
        refreshReuseGraceSeconds: z.number().int().min(0).max(300).optional(),
      })
      .strict()
      .optional(),
    keys: z.object({ rotationDays: z.number().int().min(0).max(3650).optional() }).strict().optional(),
    rateLimits: z
      .object({
        loginsPerIdentifier: z.number().int().min(1).max(1000).optional(),
        loginsPerAddress: z.number().int().min(1).max(100_000).optional(),
        signupsPerAddress: z.number().int().min(1).max(100_000).optional(),
        signupsPerEnvironment: z.number().int().min(1).max(1_000_000).optional(),
        deviceCodesPerAddress: z.number().int().min(1).max(100_000).optional(),
        deviceCodesPerEnvironment: z.number().int().min(1).max(1_000_000).optional(),
        windowSeconds: z.number().int().min(60).max(DAY).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type StoredEnvironmentSettings = z.infer<typeof environmentSettingsSchema>;

export interface EnvironmentSettings {
  readonly branding: { displayName: string | null; logoUrl: string | null; primaryColor: string | null };
  readonly signup: { enabled: boolean; api: boolean };
  readonly emailVerification: { required: boolean };
  readonly passwordPolicy: { minLength: number };
  readonly sessions: { lifetimeSeconds: number; idleSeconds: number };
  readonly tokens: {
    accessTokenTtl: number;
    idTokenTtl: number;
    refreshTokenTtl: number;
    refreshReuseGraceSeconds: number;
  };
  readonly keys: { rotationDays: number };
  /**
   * Sign-in attempts allowed per identifier and per address in each window; JSON signups
   * (the one answer that tells a taken email apart, and a mail each) per address and in all;
   * wrong user codes on the device page (RFC 8628 §5.1) per address and in all.
   */
  readonly rateLimits: {
    loginsPerIdentifier: number;
    loginsPerAddress: number;
    signupsPerAddress: number;
    signupsPerEnvironment: number;
    deviceCodesPerAddress: number;
    deviceCodesPerEnvironment: number;
    windowSeconds: number;
  };
}

export const DEFAULT_SETTINGS: EnvironmentSettings = Object.freeze({
  branding: { displayName: null, logoUrl: null, primaryColor: null },
  signup: { enabled: true, api: true },
  emailVerification: { required: false },
  passwordPolicy: { minLength: 8 },
  sessions: { lifetimeSeconds: 30 * DAY, idleSeconds: 7 * DAY },
  tokens: { accessTokenTtl: 3600, idTokenTtl: 3600, refreshTokenTtl: 30 * DAY, refreshReuseGraceSeconds: 10 },
  keys: { rotationDays: 0 },
  rateLimits: {
    loginsPerIdentifier: 10,
    loginsPerAddress: 60,
    signupsPerAddress: 30,
    signupsPerEnvironment: 600,
    deviceCodesPerAddress: 10,
    deviceCodesPerEnvironment: 1000,
    windowSeconds: 15 * 60,
  },
});

/** Each stored settings object is resolved once: pages, mails and checks of a request ask often. */
const resolved = new WeakMap<object, EnvironmentSettings>();

/** The stored (partial) settings with every default filled in (never to be changed by callers). */
export function resolveSettings(stored: unknown): EnvironmentSettings {
  if (typeof stored !== 'object' || stored === null) return parseSettings(stored);
  let settings = resolved.get(stored);
  if (!settings) {
    settings = parseSettings(stored);
    resolved.set(stored, settings);
  }
  return settings;
}

function parseSettings(stored: unknown): EnvironmentSettings {
  const parsed = environmentSettingsSchema.safeParse(stored ?? {});
  const value: StoredEnvironmentSettings = parsed.success ? parsed.data : {};
  return {
    branding: { ...DEFAULT_SETTINGS.branding, ...value.branding },
    signup: { ...DEFAULT_SETTINGS.signup, ...value.signup },
    emailVerification: { ...DEFAULT_SETTINGS.emailVerification, ...value.emailVerification },
    passwordPolicy: { ...DEFAULT_SETTINGS.passwordPolicy, ...value.passwordPolicy },
    sessions: { ...DEFAULT_SETTINGS.sessions, ...value.sessions },
    tokens: { ...DEFAULT_SETTINGS.tokens, ...value.tokens },
    keys: { ...DEFAULT_SETTINGS.keys, ...value.keys },
    rateLimits: { ...DEFAULT_SETTINGS.rateLimits, ...value.rateLimits },
  };
}

/** The name an environment's pages and mails show: its display name, else its own name. */
export function brandOfEnvironment(environment: EnvironmentRow): string {
  return resolveSettings(environment.settings).branding.displayName ?? environment.name;
}

/** 400 naming `field` unless the password meets the environment's minimum length. */
export function assertPasswordPolicy(environment: EnvironmentRow, password: string, field = 'password'): void {
  const { minLength } = resolveSettings(environment.settings).passwordPolicy;
  if (characterCount(password) < minLength) {
    throw errors.validation([{ field, message: `must be at least ${minLength} characters` }]);
  }
}
