import type { Knex } from 'knex';

/**
 * Forgot-password and resend-verification requests, as asked: the request only records them,
 * and a background processor looks the account up, issues the link and queues the mail later,
 * so the answer's timing never depends on whether the account exists. The identifier (its kind
 * and normalised value, as JSON) is encrypted at rest; a row is deleted once processed.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('link_requests', (table) => {
    table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    /** Set for environment accounts; null for tenant accounts. */
    table.uuid('environment_id');
    table.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    table.string('purpose', 32).notNullable();
    /** { kind, value } as JSON, AES-256-GCM (SecretBox purpose `link-request`). */
    table.text('identifier_encrypted').notNullable();
    table.string('interaction_uid', 64);
    table.string('language', 16);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['tenant_id', 'id'], { constraintName: 'link_requests__pk' });
    table
      .foreign(['tenant_id', 'environment_id'], 'link_requests__environment_fk')
      .references(['tenant_id', 'id'])
      .inTable('environments')
      .onDelete('CASCADE');
    table.index(['created_at'], 'link_requests__created_at');
  });
  await knex.raw(
    `alter table link_requests add constraint link_requests__purpose check (purpose in ('reset_password', 'verify_email'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('link_requests');
}
