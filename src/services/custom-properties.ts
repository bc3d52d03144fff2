import { z } from 'zod';
import type { FieldError } from '../errors/app-error.js';
import { errors } from '../errors/codes.js';

/**
 * Custom properties: a JSON object of the tenant's own data. Keys are literal (no path syntax:
 * "a.b" is one key), at most 50 of them and 8 KB of JSON in all, checked on the merged result.
 */
export const CUSTOM_PROPERTIES_MAX_KEYS = 50;
export const CUSTOM_PROPERTIES_MAX_BYTES = 8 * 1024;

/** What is wrong with a whole set of custom properties, reported at `field`. */
export function customPropertiesProblems(properties: Record<string, unknown>, field: string): FieldError[] {
  if (Object.keys(properties).length > CUSTOM_PROPERTIES_MAX_KEYS) {
    return [{ field, message: `must have at most ${CUSTOM_PROPERTIES_MAX_KEYS} keys` }];
  }
  if (Buffer.byteLength(JSON.stringify(properties), 'utf8') > CUSTOM_PROPERTIES_MAX_BYTES) {
    return [{ field, message: `must be at most ${CUSTOM_PROPERTIES_MAX_BYTES} bytes of JSON` }];
  }
  return [];
}

/** 400 unless the properties keep within the limits. */
export function assertCustomPropertiesFit(properties: Record<string, unknown>, field: string): void {
  const problems = customPropertiesProblems(properties, field);
  if (problems.length > 0) throw errors.validation(problems);
}

/** A custom-property key: a literal, non-empty name. */
export const customPropertyKeyField = z.string().min(1, 'must not be empty').max(255, 'must be at most 255 characters');

/** Every key given, merged over the existing ones (a key given again is replaced). */
export function mergeCustomProperties(
  existing: Record<string, unknown>,
  given: Record<string, unknown>,
): Record<string, unknown> {
  return { ...existing, ...given };
}

/** Without the one key named (literally); the others stay. */
export function withoutCustomProperty(existing: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _removed, ...rest } = existing;
  return rest;
}
