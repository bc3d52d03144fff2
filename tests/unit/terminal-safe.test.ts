import { describe, expect, it } from '@jest/globals';
import { terminalSafe } from '../../scripts/terminal-safe.js';

describe('terminalSafe (what npm run outbox prints)', () => {
  it('shows escape sequences and other control characters as \\u escapes, keeping line breaks and tabs', () => {
    expect(terminalSafe('Eve \u001b[2J\u001b[1;31mURGENT\u001b[0m')).toBe('Eve \\u001b[2J\\u001b[1;31mURGENT\\u001b[0m');
    expect(terminalSafe('bell\u0007 c1\u0085 del\u007f')).toBe('bell\\u0007 c1\\u0085 del\\u007f');
    expect(terminalSafe('line one\nline\ttwo — Zoë 😀')).toBe('line one\nline\ttwo — Zoë 😀');
  });
});
