import type { Knex } from 'knex';

/**
 * A link token remembers the OIDC interaction it was asked from (the hosted signup and
 * forgot-password steps of a sign-in), so that the page the link opens can send the browser back
 * into that sign-in. Null for links asked through the API or by an administrator.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('link_tokens', (table) => {
    table.string('interaction_uid', 64);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('link_tokens', (table) => {
    table.dropColumn('interaction_uid');
  });
}
