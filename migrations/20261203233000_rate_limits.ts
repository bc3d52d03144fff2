import type { Knex } from 'knex';

/**
 * Fixed-window counters for rate limits, shared by every node. A key names what is limited
 * (`login:<environment>:<identifier>`, `login-ip:<environment>:<ip>`) and is kept as its
 * SHA-256, so the table holds no identifier or address in clear. No tenant's data lives here.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limit_counters', (table) => {
    table.string('key_hash', 64).primary({ constraintName: 'rate_limit_counters__pk' });
    table.timestamp('window_start', { useTz: true }).notNullable();
    table.integer('count').notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.index(['expires_at'], 'rate_limit_counters__expires_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limit_counters');
}
