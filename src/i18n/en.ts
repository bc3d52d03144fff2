/**
 * English, the default language and the source of every key: each other language is a
 * `Catalogue` (src/i18n/index.ts), so a key missing there (or one that is not here) does not
 * compile. `{name}` is a named parameter; the result is text, escaped where it is rendered.
 */
export const en = {
  // Shared by several pages
  'common.back_to_login': 'Back to sign in',
  'common.identifier_label': 'Email or username',
  'common.error_label': 'Error:',
  'common.too_many_attempts': 'Too many attempts. Wait a few minutes and try again.',

  // Page errors
  'error.stale.title': 'This page is out of date',
  'error.stale.message': 'This sign-in page has expired. Go back to the app and start again.',
  'error.session_lost.message':
    'Your sign-in session has expired or was started in another browser. Go back to the app and start again.',
  'error.form_expired.title': 'Please try again',
  'error.form_expired.message': 'The form expired. Go back, reload the page and try again.',
  'error.invalid_link.title': 'This link does not work',
  'error.invalid_link.message': 'This link has expired or was used already. Ask for a new one.',
  'error.not_found.title': 'Not found',
  'error.not_found.message': 'There is nothing at this address.',
  'error.generic.title': 'Something went wrong',
  'error.generic.message': 'Something went wrong on our side. Try again in a moment.',
  'error.unusable_characters.message': 'The request holds characters that cannot be used.',
  'error.too_large.message': 'What was sent is too large.',
  'error.unreadable.message': 'The request could not be read.',
  'error.request_failed.message': 'The request could not be completed.',
  'error.unavailable.title': 'Temporarily unavailable',
  'error.unavailable.message': 'We cannot answer right now. Try again in a moment.',

  // Login
  'login.title': 'Sign in',
  'login.continue_to': 'to continue to',
  'login.password_label': 'Password',
  'login.submit': 'Sign in',
  'login.forgot_password': 'Forgot your password?',
  'login.signup': 'Create an account',
  'login.failed': 'The email, username or password is not right.',
  'login.email_unverified': 'Verify your email address first: open the link we sent you.',
  'login.resend_verification': 'Send the link again',
  'login.verification_resent': 'If this address still needs verifying, a new link is on its way. Open it in this browser to carry on signing in.',

  // Consent
  'consent.title': 'Allow access',
  'consent.asks_to': 'asks to:',
  'consent.allow': 'Allow',
  'consent.deny': 'Deny',
  'consent.scope.openid': 'Sign you in',
  'consent.scope.profile': 'See your name, username and picture',
  'consent.scope.email': 'See your email address',
  'consent.scope.phone': 'See your phone number',
  'consent.scope.address': 'See your postal address',
  'consent.scope.offline_access': 'Stay signed in when you are not using it',

  // Forgot password
  'forgot.title': 'Reset your password',
  'forgot.lead':
    'Enter the email address or username of your account, and we will mail you a link to choose a new password.',
  'forgot.submit': 'Send the link',
  'forgot.check_email.title': 'Check your email',
  'forgot.check_email.message':
    'If an account has this email address or username, we have sent it a link to choose a new password. The link works for one hour.',
  'identifier.empty': 'Enter your email address or username.',
  'identifier.too_long': 'That is too long: at most {max} characters.',
  'identifier.unusable_characters': 'That holds characters that cannot be used.',
  'identifier.invalid': 'Enter the email address or the username of your account.',

  // Reset (and set) password
  'reset.title': 'Set your password',
  'reset.lead': 'Choose a new password.',
  'reset.lead_min_length': 'Choose a new password of at least {minLength} characters.',
  'reset.password_label': 'New password',
  'reset.submit': 'Set password',
  'reset.done.title': 'Password set',
  'reset.done.message': 'Your password is set. Go back to the app and sign in with it.',
  'password.too_short': 'The password must be at least {count} characters.',
  'password.too_long': 'The password must be at most {count} characters.',
  'password.too_long_bytes': 'The password must be at most {count} bytes.',
  'password.invalid': 'The password is not valid.',

  // Signup
  'signup.title': 'Create your account',
  'signup.name_label': 'Name',
  'signup.email_label': 'Email address',
  'signup.username_label': 'Username',
  'signup.username_hint': '3 to 20 letters, digits, “.”, “_” or “-”.',
  'signup.password_label': 'Password',
  'signup.password_hint': 'At least {minLength} characters.',
  'signup.submit': 'Create account',
  'signup.have_account': 'I have an account: sign in',
  'signup.username_taken': 'That username is taken. Choose another one.',
  'signup.name.unusable_characters': 'The name holds characters that cannot be used.',
  'signup.email.unusable_characters': 'The email address holds characters that cannot be used.',
  'signup.username.unusable_characters': 'The username holds characters that cannot be used.',
  'signup.name.invalid': 'The name is not valid.',
  'signup.email.invalid': 'The email address is not valid.',
  'signup.username.invalid': 'The username is not valid.',
  'signup.check_email.message':
    'To finish creating your account, open the link we have sent to the email address you gave. The link works for 24 hours.',
  'error.resume_expired.message': 'This page has expired. Go back to the app and sign in.',

  // Verify email
  'verify.title': 'Verify your email address',
  'verify.lead': 'Confirm that this email address is yours to finish verifying it.',
  'verify.submit': 'Verify my email address',
  'verify.done.title': 'Email verified',
  'verify.done.message': 'Your email address is verified. Go back to the app and sign in.',

  // Logout (oidc-provider's end-session pages)
  'logout.title': 'Sign out',
  'logout.question': 'Do you want to sign out?',
  'logout.question_client': 'Do you want to sign out of {client}?',
  'logout.submit': 'Sign out',
  'logout.stay': 'Stay signed in',
  'logout.done.title': 'You are signed out',
  'logout.done.message': 'You have signed out. You can close this window or go back to the app.',

  // Device flow (RFC 8628): the code a TV or command-line app shows, entered here
  'device.title': 'Sign in on a device',
  'device.lead': 'Enter the code that your device shows.',
  'device.code_label': 'Code',
  'device.continue': 'Continue',
  'device.wrong_code': 'That code is not right, or it has expired. Check the code on your device, or start again there.',
  'device.no_code': 'The code is missing: type the code your device shows, then continue.',
  'device.expired_code': 'That code has expired. Start again on your device to get a new one.',
  'device.used_code': 'That code was used already. Start again on your device to get a new one.',
  'device.failed': 'The code could not be checked. Start again on your device.',
  'device.reload': 'The form expired. Open the address your device shows again and enter the code.',
  'device.confirm.title': 'Confirm the device',
  'device.confirm.lead': '{client} asks to sign you in on a device.',
  'device.confirm.compare': 'Go on only if your device shows this code:',
  'device.confirm.submit': 'Continue',
  'device.confirm.abort': 'Cancel',
  'device.confirm.not_you':
    'If you did not start this on a device of yours, or the code is not the same, cancel: someone may be trying to get into your account.',
  'device.aborted.title': 'Sign-in cancelled',
  'device.aborted.message': 'The device was not signed in. You can close this window.',
  'device.done.title': 'Your device is signed in',
  'device.done.message': 'You are signed in to {client} on your device. You can close this window.',

  // Mails: {name} is the person's name, {brand} the environment's display name or the tenant's name
  'mail.greeting': 'Hello {name},',
  'mail.hours.one': '{count} hour',
  'mail.hours.other': '{count} hours',
  'mail.reset_password.subject': 'Reset your password for {brand}',
  'mail.reset_password.body':
    'Someone asked to reset the password of your {brand} account. To choose a new password, open this link (it works once, for {duration}):',
  'mail.reset_password.link': 'Choose a new password',
  'mail.reset_password.not_you': 'If it was not you, ignore this mail: your password stays as it is.',
  'mail.set_password.subject': 'Set your password for {brand}',
  'mail.set_password.body':
    'An account was made for you at {brand}. To choose your password, open this link (it works once, for {duration}):',
  'mail.set_password.link': 'Choose your password',
  'mail.password_changed.subject': 'Your password for {brand} was changed',
  'mail.password_changed.body':
    'The password of your {brand} account was just changed, and every session of the account was signed out.',
  'mail.password_changed.not_you': 'If it was not you, reset your password now and tell your administrator.',
  'mail.verify_email.subject': 'Verify your email address for {brand}',
  'mail.verify_email.body':
    'To confirm that this is the email address of your {brand} account, open this link (it works once, for {duration}):',
  'mail.verify_email.link': 'Verify my email address',
  'mail.verify_email.not_you': 'If you did not ask for this, ignore this mail: nothing changes.',
  'mail.email_changed.subject': 'The email address of your {brand} account was changed',
  'mail.email_changed.body':
    "The email address of your {brand} account was just changed from this address to another one. This address no longer receives the account's mail, and links sent here before no longer work.",
  'mail.email_changed.not_you': 'If you did not make this change, contact {contact} right away.',
  'mail.email_changed.contact_tenant': 'an owner or administrator of {brand}',
  'mail.email_changed.contact_environment': 'the team that runs {brand}',
  'mail.signup_attempt.subject': 'Someone tried to sign up for {brand} with your email address',
  'mail.signup_attempt.body':
    'Someone tried to create a {brand} account with this email address. It already belongs to your account, so no new account was made and nothing in yours changed.',
  'mail.signup_attempt.if_you':
    'If it was you, sign in with your account instead, or, if you forgot its password, choose “Forgot your password?” on the sign-in page.',
  'mail.signup_attempt.not_you': 'If it was not you, ignore this mail.',
} as const;
