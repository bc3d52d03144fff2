import type { Knex } from 'knex';

/**
 * The audit log: one row per change to a tenant's data and per sign-in of a tenant account.
 * It goes with its tenant (on delete cascade): once a tenant is deleted nothing of it is kept,
 * its log included. Read newest first, hence the index on (tenant_id, at desc, id desc).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_events', (table) => {
    table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE').withKeyName('audit_events__tenant_fk');
    table.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    table.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.string('actor_type', 32).notNullable();
    table.string('actor_id', 64);
    table.string('action', 64).notNullable();
    table.string('target_type', 32).notNullable();
    table.string('target_id', 64);
    table.string('ip', 64);
    table.primary(['tenant_id', 'id'], { constraintName: 'audit_events__pk' });
  });
  await knex.raw('create index audit_events__tenant_at on audit_events (tenant_id, at desc, id desc)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_events');
}
