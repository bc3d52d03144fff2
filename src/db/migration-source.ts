import type { Knex } from 'knex';
import * as initialSchema from '../../migrations/20261203000000_initial_schema.js';
import * as apiResources from '../../migrations/20261203230000_api_resources.js';
import * as rateLimits from '../../migrations/20261203233000_rate_limits.js';
import * as auditEvents from '../../migrations/20261203234500_audit_events.js';
import * as apiKeys from '../../migrations/20261203234600_api_keys.js';
import * as linkTokens from '../../migrations/20261203234700_link_tokens.js';
import * as linkTokenInteractions from '../../migrations/20261204010000_link_token_interactions.js';
import * as signupPageAccounts from '../../migrations/20261204010100_signup_page_accounts.js';
import * as linkRequests from '../../migrations/20261204020000_link_requests.js';
import * as refreshReuseGrace from '../../migrations/20261204030000_refresh_reuse_grace.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Every migration, in order, imported explicitly so that the same list runs from the compiled
 * build, from tsx and under jest. A new migration file is added here too.
 */
const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['20261203000000_initial_schema', initialSchema],
  ['20261203230000_api_resources', apiResources],
  ['20261203233000_rate_limits', rateLimits],
  ['20261203234500_audit_events', auditEvents],
  ['20261203234600_api_keys', apiKeys],
  ['20261203234700_link_tokens', linkTokens],
  ['20261204010000_link_token_interactions', linkTokenInteractions],
  ['20261204010100_signup_page_accounts', signupPageAccounts],
  ['20261204020000_link_requests', linkRequests],
  ['20261204030000_refresh_reuse_grace', refreshReuseGrace],
];

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => migrations.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const entry = migrations.find(([candidate]) => candidate === name);
    if (!entry) throw new Error(`unknown migration ${name}`);
    return entry[1];
  },
};
