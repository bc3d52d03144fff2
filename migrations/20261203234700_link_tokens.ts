import type { Knex } from 'knex';

/**
 * Tokens in links sent by mail (reset password, set password, verify email). Only the SHA-256
 * of a token is kept; a row is bound to its tenant, its environment (null for tenant accounts),
 * the account and the purpose, and is used up once (`used_at`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('link_tokens', (table) => {
    table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    table.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    /** Set for environment accounts; null for tenant accounts. */
    table.uuid('environment_id');
    table.string('account_type', 32).notNullable();
    table.uuid('account_id').notNullable();
    table.string('purpose', 32).notNullable();
    /** SHA-256 (hex) of the token; the token itself is never stored. */
    table.string('token_hash', 64).notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('used_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['tenant_id', 'id'], { constraintName: 'link_tokens__pk' });
    table.unique(['token_hash'], { indexName: 'link_tokens__token_hash' });
    table.index(['tenant_id', 'account_type', 'account_id', 'purpose'], 'link_tokens__account');
    table.index(['expires_at'], 'link_tokens__expires_at');
  });
  await knex.raw(
    `alter table link_tokens add constraint link_tokens__account_type check (account_type in ('tenant_account', 'environment_account'))`,
  );
  await knex.raw(
    `alter table link_tokens add constraint link_tokens__purpose check (purpose in ('reset_password', 'set_password', 'verify_email'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('link_tokens');
}
