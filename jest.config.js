/** jest runs the TypeScript sources as native ESM (see STACK-NOTES: NODE_OPTIONS=--experimental-vm-modules). */
const swc = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

/**
 * What the PostgreSQL pass (TEST_DATABASE_URL) leaves out: tests of the embedded database itself
 * and of commands that always run on it; they never touch TEST_DATABASE_URL, so a second pass
 * would only repeat them. The interop suite runs on its own (npm run test:interop).
 */
const embeddedOnly = ['<rootDir>/tests/embedded/', '<rootDir>/tests/e2e/demo.test.ts'];
const ignored = ['/node_modules/', '<rootDir>/tests/interop/', ...(process.env.TEST_DATABASE_URL ? embeddedOnly : [])];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  testPathIgnorePatterns: ignored,
  globalSetup: '<rootDir>/tests/helpers/global-setup.mjs',
  setupFiles: ['<rootDir>/tests/helpers/jest-setup.ts'],
  maxWorkers: 2,
  testTimeout: 30000,
};
