import { RESEND_VERIFICATION_MESSAGE } from '../../../services/email-verification.js';
import { FORGOT_PASSWORD_MESSAGE, RESET_PASSWORD_MESSAGE } from '../../../services/password-links.js';
import { resendVerificationBody } from '../email-verification.js';
import { forgotPasswordBody, resetPasswordBody } from '../password-reset.js';
import * as ex from './examples.js';
import { PUBLIC, type Operation } from './operation.js';

const forgotAnswer = { message: FORGOT_PASSWORD_MESSAGE };
const resetAnswer = { success: true, message: RESET_PASSWORD_MESSAGE };

/** Forgot / reset password and resend verification, for tenant and environment accounts alike. */
export const accountMailOperations = (
  prefix: '/auth/tenants/{tenantId}' | '/auth/environments/{environmentId}',
  tag: string,
  who: string,
): Operation[] => [
  {
    method: 'post',
    path: `${prefix}/forgot-password`,
    operationId: `${who}ForgotPassword`,
    tag,
    summary: 'Mail a reset link',
    description:
      'Always the same answer, whether or not an account has the identifier; an enabled account gets a reset link by mail.',
    security: PUBLIC,
    body: { schema: forgotPasswordBody, example: ex.bodies.forgotPassword, description: 'Exactly one of email, username, phone.' },
    response: { status: 200, description: 'The request was taken.', schema: 'MessageAnswer', example: forgotAnswer },
    problems: [400, 404, 413, 415, 429],
  },
  {
    method: 'post',
    path: `${prefix}/reset-password`,
    operationId: `${who}ResetPassword`,
    tag,
    summary: 'Set a new password with a mailed link',
    description: 'Uses the link up and ends every session of the account. An unknown, used or expired token is a 400 `auth.invalid_token`.',
    security: PUBLIC,
    body: { schema: resetPasswordBody, example: ex.bodies.resetPassword },
    response: { status: 200, description: 'The password is set.', schema: 'ResetPasswordAnswer', example: resetAnswer },
    problems: [400, 404, 413, 415],
  },
  {
    method: 'post',
    path: `${prefix}/resend-verification`,
    operationId: `${who}ResendVerification`,
    tag,
    summary: 'Mail a new email-verification link',
    description: 'Always the same answer, whether or not an unverified account has the identifier.',
    security: PUBLIC,
    body: { schema: resendVerificationBody, example: ex.bodies.forgotPassword, description: 'Exactly one of email, username, phone.' },
    response: { status: 200, description: 'The request was taken.', schema: 'MessageAnswer', example: { message: RESEND_VERIFICATION_MESSAGE } },
    problems: [400, 404, 413, 415, 429],
  },
];
