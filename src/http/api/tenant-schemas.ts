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
import { customPropertyKeyField } from '../../services/custom-properties.js';

/** The bodies of the tenant and tenant-account routes; every object is strict (unknown → 400). */

const nonEmpty = <T extends z.ZodObject>(schema: T) =>
  schema.refine((value) => Object.keys(value).length > 0, { message: 'give at least one field', path: [] });

export const tenantRoleField = z.enum(['owner', 'admin', 'user']);

export const updateTenantBody = nonEmpty(
  z.strictObject({ name: entityNameField.optional(), customProperties: customPropertiesField.optional() }),
);

/** PATCH …/custom-property: every key given is merged (keys are literal, never paths). */
export const setCustomPropertiesBody = customPropertiesField.refine((value) => Object.keys(value).length > 0, {
  message: 'give at least one property',
});

export const deleteCustomPropertyBody = z.strictObject({ customProperty: customPropertyKeyField });

export const createTenantAccountBody = z.strictObject({
  name: personNameField,
  email: emailField,
  username: usernameField,
  password: newPasswordField.optional(),
  phone: phoneField.optional(),
  avatarUrl: avatarUrlField.optional(),
  role: tenantRoleField.optional(),
});

export const updateProfileBody = nonEmpty(
  z.strictObject({ name: personNameField.optional(), avatarUrl: avatarUrlField.optional() }),
);
export const changeEmailBody = z.strictObject({ email: emailField });
export const changeUsernameBody = z.strictObject({ username: usernameField });
export const changePhoneBody = z.strictObject({ phone: phoneField });
export const changeRoleBody = z.strictObject({ role: tenantRoleField });

/** The action routes (disable, enable) take no body: anything sent is refused like any unknown field. */
export { emptyBody } from '../middleware/json-body.js';

export const changePasswordBody = z.strictObject({
  currentPassword: loginPasswordField,
  newPassword: newPasswordField,
});
