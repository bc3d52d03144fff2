/**
 * Text from the database made safe to print: control characters other than line breaks and
 * tabs are shown as `\uXXXX`, so a stored name or subject never drives the operator's terminal.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[^\P{Cc}\n\t]/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
