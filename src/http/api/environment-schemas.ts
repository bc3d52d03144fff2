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
import { environmentSettingsSchema } from '../../services/environment-settings.js';
import { pageQuery } from './pagination.js';

/** Bodies and queries of the environment and environment-account routes; every object strict. */

const nonEmpty = (value: object) => Object.keys(value).length > 0;

/** PATCH /tenants/:tenantId/environments/:envId */
export const updateEnvironmentBody = z
  .strictObject({
    name: entityNameField.optional(),
    customProperties: customPropertiesField.optional(),
    settings: environmentSettingsSchema.optional(),
  })
  .refine(nonEmpty, { message: 'give at least one of name, customProperties, settings' });

export const environmentListQuery = pageQuery.extend({ name: z.string().min(1).max(255).optional() });

/** PATCH …/custom-property: a non-empty object; every key is set, literally. */
export const setCustomPropertyBody = customPropertiesField
  .refine(nonEmpty, { message: 'give at least one property' })
  .refine((value) => Object.keys(value).every((key) => key.length >= 1 && key.length <= 256), {
    message: 'keys must be 1 to 256 characters',
  });

/** DELETE …/custom-property */
export const deleteCustomPropertyBody = z.strictObject({ customProperty: z.string().min(1).max(256) });

/** The OIDC `address` claim. */
export const addressField = z.strictObject({
  formatted: z.string().max(500).optional(),
  street_address: z.string().max(500).optional(),
  locality: z.string().max(200).optional(),
  region: z.string().max(200).optional(),
  postal_code: z.string().max(50).optional(),
  country: z.string().max(200).optional(),
});

/** POST /environments/:envId/accounts (owners and admins). */
export const createEnvironmentAccountBody = z.strictObject({
  name: personNameField,
  email: emailField,
  username: usernameField,
  password: newPasswordField.optional(),
  phone: phoneField.optional(),
  avatarUrl: avatarUrlField.optional(),
  address: addressField.optional(),
  customProperties: customPropertiesField.optional(),
  emailVerified: z.boolean().optional(),
});

const profileFields = {
  name: personNameField.optional(),
  avatarUrl: avatarUrlField.nullable().optional(),
  address: addressField.nullable().optional(),
  customProperties: customPropertiesField.optional(),
};

/** PATCH /environments/:envId/accounts/:accountId by the account itself. */
export const selfProfileBody = z.strictObject(profileFields).refine(nonEmpty, { message: 'give at least one field' });

/** PATCH /environments/:envId/accounts/:accountId by an owner or admin (may also set emailVerified). */
export const adminProfileBody = z
  .strictObject({ ...profileFields, emailVerified: z.boolean().optional() })
  .refine(nonEmpty, { message: 'give at least one field' });

export const changeEmailBody = z.strictObject({ email: emailField });
export const changePhoneBody = z.strictObject({ phone: phoneField.nullable() });
export const changeUsernameBody = z.strictObject({ username: usernameField });

export const accountListQuery = pageQuery.extend({
  email: z.string().min(1).max(320).optional(),
  username: z.string().min(1).max(64).optional(),
});

/** POST /auth/environments/:envId/change-password */
export const changePasswordBody = z.strictObject({ currentPassword: loginPasswordField, newPassword: newPasswordField });
