import type { Knex } from 'knex';

/**
 * Tenant API keys, for scripts. Only the key's SHA-256 (hex) is kept; its first 8 characters
 * are kept too, for people to tell their keys apart. A key acts as `admin` or `read-only`,
 * never above its creator's current role; deleting the creator deletes their keys.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_keys', (table) => {
    table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    table.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    table.string('name', 100).notNullable();
    table.string('role', 16).notNullable();
    table.string('key_hash', 64).notNullable();
    table.string('key_prefix', 8).notNullable();
    table.uuid('created_by').notNullable();
    table.timestamp('expires_at', { useTz: true });
    table.timestamp('last_used_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['tenant_id', 'id'], { constraintName: 'api_keys__pk' });
    // A bearer key carries only itself: the hash finds the row, then its tenant is checked.
    table.unique(['key_hash'], { indexName: 'api_keys__key_hash' });
    table.index(['tenant_id', 'created_by'], 'api_keys__tenant_id_created_by');
    table
      .foreign(['tenant_id', 'created_by'], 'api_keys__creator_fk')
      .references(['tenant_id', 'id'])
      .inTable('tenant_accounts')
      .onDelete('CASCADE');
  });
  await knex.raw(`alter table api_keys add constraint api_keys__role check (role in ('admin', 'read-only'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_keys');
}
