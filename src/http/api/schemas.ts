import { z } from 'zod';
import {
  avatarUrlField,
  customPropertiesField,
  emailField,
  entityNameField,
  loginPasswordField,
  newPasswordField,
  personNameField,
  phoneField,
  usernameField,
} from '../../services/account-fields.js';
import type { AccountLookup } from '../../services/lookup.js';

/** One schema per body; every object is strict: an unknown field is a 400, never written. */

export const environmentBody = z.strictObject({
  name: entityNameField,
  customProperties: customPropertiesField.optional(),
});

const newAccountFields = {
  name: personNameField,
  email: emailField,
  username: usernameField,
  password: newPasswordField,
  phone: phoneField.optional(),
  avatarUrl: avatarUrlField.optional(),
};

export const createTenantBody = z.strictObject({
  tenant: z.strictObject({ name: entityNameField, customProperties: customPropertiesField.optional() }),
  account: z.strictObject(newAccountFields),
  environment: environmentBody.optional(),
});

export const signupBody = z.strictObject(newAccountFields);

const IDENTIFIERS = ['email', 'username', 'phone'] as const;

/** JSON login: exactly one of email, username, phone, and the password. */
export const loginBody = z
  .strictObject({
    email: z.string().min(1).max(320).optional(),
    username: z.string().min(1).max(64).optional(),
    phone: z.string().min(1).max(32).optional(),
    password: loginPasswordField,
  })
  .superRefine((value, ctx) => {
    const given = IDENTIFIERS.filter((key) => value[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given.length === 0 ? ['email'] : [given[1] ?? 'email'],
        message: 'give exactly one of email, username or phone',
      });
    }
  });

export function loginLookup(body: z.output<typeof loginBody>): AccountLookup {
  if (body.email !== undefined) return { email: body.email };
  if (body.username !== undefined) return { username: body.username };
  return { phone: body.phone ?? '' };
}
