import type { Knex } from 'knex';

/**
 * A rotated refresh token used again within the environment's `refreshReuseGraceSeconds` is
 * accepted once more (parallel tabs, an answer lost on the way): `reuse_graced_at` records that
 * this one extra use happened, so a third use is reuse and revokes the grant.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_artifacts', (table) => {
    table.timestamp('reuse_graced_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_artifacts', (table) => {
    table.dropColumn('reuse_graced_at');
  });
}
