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
import { exactlyOneIdentifier, identifierFields } from './account-places.js';

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

/** JSON login: exactly one of email, username, phone, and the password. */
export const loginBody = z
  .strictObject({ ...identifierFields, password: loginPasswordField })
  .superRefine(exactlyOneIdentifier);
