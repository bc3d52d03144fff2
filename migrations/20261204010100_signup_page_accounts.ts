import type { Knex } from 'knex';

/**
 * An account made on the hosted signup page signs in only once its address is proven
 * (`verify_before_sign_in`), whatever the environment's `emailVerification.required` says: the
 * page answers a new and a taken email alike, and a sign-in that worked before the proof would
 * tell them apart.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('environment_accounts', (table) => {
    table.boolean('verify_before_sign_in').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('environment_accounts', (table) => {
    table.dropColumn('verify_before_sign_in');
  });
}
