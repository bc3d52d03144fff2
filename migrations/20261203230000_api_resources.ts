import type { Knex } from 'knex';

/**
 * API resources: the APIs access tokens are for (RFC 8707 resource indicators). The identifier
 * is the token's audience, unique in its environment.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_resources', (table) => {
    table.uuid('tenant_id').notNullable();
    table.uuid('environment_id').notNullable();
    table.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    table.string('identifier', 2000).notNullable();
    table.string('name', 100).notNullable();
    table.jsonb('scopes').notNullable().defaultTo('[]');
    table.string('access_token_format', 8).notNullable().defaultTo('jwt');
    table.integer('access_token_ttl');
    /** Client ids, besides the token's own client, that may introspect its tokens. */
    table.jsonb('introspectors').notNullable().defaultTo('[]');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['tenant_id', 'environment_id', 'id'], { constraintName: 'api_resources__pk' });
    table.unique(['tenant_id', 'environment_id', 'identifier'], { indexName: 'api_resources__environment_identifier' });
    table
      .foreign(['tenant_id', 'environment_id'], 'api_resources__environment_fk')
      .references(['tenant_id', 'id'])
      .inTable('environments')
      .onDelete('CASCADE');
  });
  await knex.raw(
    `alter table api_resources add constraint api_resources__format check (access_token_format in ('jwt', 'opaque'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_resources');
}
