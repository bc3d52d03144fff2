/* eslint-disable no-console -- this file exists to filter console output in tests */
// oidc-provider 9 warns "Unsupported runtime" on import under Node 20 (which works; the
// README says so). In each test file's output it is noise, so the tests drop that one line.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...args);
};
