import type { ReceivedMail } from './smtp.js';

/** The message as text: quoted-printable soft breaks and escapes undone (what a mail client shows). */
export function decodedMail(mail: ReceivedMail): string {
  return mail.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The reset (or set-password) link of a mail: the first `…/reset-password?token=…`. */
export function resetLinkIn(mail: ReceivedMail): URL {
  const match = /https?:\/\/[^\s"<>]+\/reset-password\?token=[A-Za-z0-9_-]+/.exec(decodedMail(mail));
  if (!match) throw new Error(`no reset link in the mail:\n${decodedMail(mail).slice(0, 2000)}`);
  return new URL(match[0]);
}

/** The email verification link of a mail: the first `…/verify-email?token=…`. */
export function verifyLinkIn(mail: ReceivedMail): URL {
  const match = /https?:\/\/[^\s"<>]+\/verify-email\?token=[A-Za-z0-9_-]+/.exec(decodedMail(mail));
  if (!match) throw new Error(`no verify link in the mail:\n${decodedMail(mail).slice(0, 2000)}`);
  return new URL(match[0]);
}

/** The mails that reached `address`, oldest first. */
export const mailsTo = (received: readonly ReceivedMail[], address: string) => received.filter((mail) => mail.to.includes(address.toLowerCase()) || mail.to.includes(address));
