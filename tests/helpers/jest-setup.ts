/* eslint-disable no-console -- this file exists to filter console output in tests */
// oidc-provider 9 warns "Unsupported runtime" on import under Node 20 (which works; the
// README says so), and, inside jest's VM context only, that it cannot find Node's fetch agent
// for its SSRF guard (outside production sump does not use that guard anyway). In each test
// file's output both are noise, so the tests drop those two lines.
const NOISE = ['oidc-provider WARNING: Unsupported runtime', 'oidc-provider WARNING: failed to setup SSRF protection'];
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && NOISE.some((noise) => (args[0] as string).includes(noise))) return;
  warn(...args);
};
