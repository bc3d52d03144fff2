import type { Knex } from 'knex';

/**
 * The first schema: tenants and their accounts, environments and their accounts, OIDC clients,
 * signing keys, oidc-provider artefacts and API sessions.
 *
 * Every table of a tenant's data carries tenant_id (and environment_id where it belongs to one)
 * at the head of its primary key and indexes. Emails and usernames are unique on their
 * application-normalised form (NFKC, lower-cased) per tenant or per environment.
 */
export async function up(knex: Knex): Promise<void> {
  // Server-wide facts that are no tenant's data, such as the value that proves AUTH_SECRET fits.
  await knex.schema.createTable('system_values', (table) => {
    table.string('key', 64).primary({ constraintName: 'system_values__pk' });
    table.text('value').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('tenants', (table) => {
    table.uuid('id').primary({ constraintName: 'tenants__pk' }).defaultTo(knex.raw('gen_random_uuid()'));
    table.string('name', 255).notNullable();
    table.jsonb('custom_properties').notNullable().defaultTo('{}');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('tenant_accounts', (table) => {
    table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    table.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    table.string('name', 100).notNullable();
    table.string('email', 320).notNullable();
    table.string('email_normalized', 320).notNullable();
    table.boolean('email_verified').notNullable().defaultTo(false);
    table.string('username', 64).notNullable();
    table.string('username_normalized', 64).notNullable();
    table.string('phone', 16);
    table.text('avatar_url');
    table.string('role', 16).notNullable();
    table.text('password_hash');
    table.boolean('disabled').notNullable().defaultTo(false);
    table.timestamp('disabled_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['tenant_id', 'id'], { constraintName: 'tenant_accounts__pk' });
    table.unique(['tenant_id', 'email_normalized'], { indexName: 'tenant_accounts__tenant_id_email' });
    table.unique(['tenant_id', 'username_normalized'], { indexName: 'tenant_accounts__tenant_id_username' });
    table.unique(['tenant_id', 'phone'], { indexName: 'tenant_accounts__tenant_id_phone' });
  });
  await knex.raw(
    `alter table tenant_accounts add constraint tenant_accounts__role check (role in ('owner', 'admin', 'user'))`,
  );

  await knex.schema.createTable('environments', (table) => {
    table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    table.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    table.string('name', 255).notNullable();
    table.jsonb('custom_properties').notNullable().defaultTo('{}');
    table.jsonb('settings').notNullable().defaultTo('{}');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['tenant_id', 'id'], { constraintName: 'environments__pk' });
    table.unique(['tenant_id', 'name'], { indexName: 'environments__tenant_id_name' });
    // An issuer URL carries only the environment id: it must find its row alone.
    table.unique(['id'], { indexName: 'environments__id' });
  });

  await knex.schema.createTable('environment_accounts', (table) => {
    table.uuid('tenant_id').notNullable();
    table.uuid('environment_id').notNullable();
    table.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    table.string('name', 100).notNullable();
    table.string('email', 320).notNullable();
    table.string('email_normalized', 320).notNullable();
    table.boolean('email_verified').notNullable().defaultTo(false);
    table.string('username', 64).notNullable();
    table.string('username_normalized', 64).notNullable();
    table.string('phone', 16);
    table.boolean('phone_verified').notNullable().defaultTo(false);
    table.text('avatar_url');
    table.jsonb('address');
    table.jsonb('custom_properties').notNullable().defaultTo('{}');
    table.text('password_hash');
    table.boolean('disabled').notNullable().defaultTo(false);
    table.timestamp('disabled_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['tenant_id', 'environment_id', 'id'], { constraintName: 'environment_accounts__pk' });
    table
      .foreign(['tenant_id', 'environment_id'], 'environment_accounts__environment_fk')
      .references(['tenant_id', 'id'])
      .inTable('environments')
      .onDelete('CASCADE');
    table.unique(['tenant_id', 'environment_id', 'email_normalized'], {
      indexName: 'environment_accounts__environment_email',
    });
    table.unique(['tenant_id', 'environment_id', 'username_normalized'], {
      indexName: 'environment_accounts__environment_username',
    });
    table.unique(['tenant_id', 'environment_id', 'phone'], {
      indexName: 'environment_accounts__environment_phone',
    });
  });

  await knex.schema.createTable('oidc_clients', (table) => {
    table.uuid('tenant_id').notNullable();
    table.uuid('environment_id').notNullable();
    table.string('client_id', 64).notNullable();
    table.string('name', 100).notNullable();
    table.jsonb('redirect_uris').notNullable().defaultTo('[]');
    table.jsonb('post_logout_redirect_uris').notNullable().defaultTo('[]');
    table.jsonb('grant_types').notNullable();
    table.string('token_endpoint_auth_method', 32).notNullable();
    table.string('application_type', 16).notNullable();
    table.jsonb('scopes').notNullable();
    table.boolean('first_party').notNullable().defaultTo(false);
    table.boolean('require_pkce').notNullable().defaultTo(true);
    table.jsonb('jwks');
    table.text('jwks_uri');
    table.text('backchannel_logout_uri');
    table.jsonb('allowed_cors_origins').notNullable().defaultTo('[]');
    table.string('id_token_signed_response_alg', 8).notNullable().defaultTo('RS256');
    table.jsonb('allowed_resources').notNullable().defaultTo('[]');
    table.boolean('disabled').notNullable().defaultTo(false);
    /** AES-256-GCM under a key derived from AUTH_SECRET; null for public and private_key_jwt clients. */
    table.text('secret_encrypted');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['tenant_id', 'environment_id', 'client_id'], { constraintName: 'oidc_clients__pk' });
    table
      .foreign(['tenant_id', 'environment_id'], 'oidc_clients__environment_fk')
      .references(['tenant_id', 'id'])
      .inTable('environments')
      .onDelete('CASCADE');
  });

  await knex.schema.createTable('signing_keys', (table) => {
    table.uuid('tenant_id').notNullable();
    table.uuid('environment_id').notNullable();
    table.string('kid', 64).notNullable();
    table.string('alg', 8).notNullable();
    table.jsonb('public_jwk').notNullable();
    /** The private JWK, AES-256-GCM under a key derived from AUTH_SECRET. */
    table.text('private_jwk_encrypted').notNullable();
    /** When it starts to sign; before that it is only published. */
    table.timestamp('signs_from', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    /** When it stopped signing (a newer key took over); it stays published a while after. */
    table.timestamp('retired_at', { useTz: true });
    /** When it leaves the JWKS: every token it signed has expired. */
    table.timestamp('expires_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['tenant_id', 'environment_id', 'kid'], { constraintName: 'signing_keys__pk' });
    table
      .foreign(['tenant_id', 'environment_id'], 'signing_keys__environment_fk')
      .references(['tenant_id', 'id'])
      .inTable('environments')
      .onDelete('CASCADE');
  });
  await knex.raw(
    `alter table signing_keys add constraint signing_keys__alg check (alg in ('RS256', 'ES256'))`,
  );

  await knex.schema.createTable('oidc_artifacts', (table) => {
    table.uuid('tenant_id').notNullable();
    table.uuid('environment_id').notNullable();
    table.string('model', 48).notNullable();
    /** SHA-256 (hex) of the artefact's id: a copy of the table yields no usable token. */
    table.string('id_hash', 64).notNullable();
    /** The payload without its id; models found another way keep the id encrypted in id_encrypted. */
    table.jsonb('payload').notNullable();
    table.text('id_encrypted');
    table.string('grant_id', 128);
    table.string('uid', 128);
    table.string('user_code_hash', 64);
    table.string('account_id', 64);
    table.timestamp('expires_at', { useTz: true });
    table.timestamp('consumed_at', { useTz: true });
    table.primary(['tenant_id', 'environment_id', 'model', 'id_hash'], { constraintName: 'oidc_artifacts__pk' });
    table.index(['tenant_id', 'environment_id', 'grant_id'], 'oidc_artifacts__grant_id');
    table.index(['tenant_id', 'environment_id', 'uid'], 'oidc_artifacts__uid');
    table.index(['tenant_id', 'environment_id', 'user_code_hash'], 'oidc_artifacts__user_code');
    table.index(['tenant_id', 'environment_id', 'account_id'], 'oidc_artifacts__account_id');
    table.index(['expires_at'], 'oidc_artifacts__expires_at');
    table
      .foreign(['tenant_id', 'environment_id'], 'oidc_artifacts__environment_fk')
      .references(['tenant_id', 'id'])
      .inTable('environments')
      .onDelete('CASCADE');
  });

  await knex.schema.createTable('api_sessions', (table) => {
    table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    table.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    /** SHA-256 (hex) of the session token; the token itself is never stored. */
    table.string('token_hash', 64).notNullable();
    table.string('account_type', 32).notNullable();
    table.uuid('account_id').notNullable();
    /** Set for environment accounts' sessions: the environment that issued it. */
    table.uuid('environment_id');
    table.string('ip_address', 64);
    table.string('user_agent', 512);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('last_active_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.primary(['tenant_id', 'id'], { constraintName: 'api_sessions__pk' });
    // A cookie carries only its token: the hash finds the row, then its tenant is checked.
    table.unique(['token_hash'], { indexName: 'api_sessions__token_hash' });
    table.index(['tenant_id', 'account_type', 'account_id'], 'api_sessions__account');
    table.index(['expires_at'], 'api_sessions__expires_at');
  });
  await knex.schema.createTable('mail_outbox', (table) => {
    table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    table.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('environment_id');
    table.string('to_address', 320).notNullable();
    table.string('subject', 255).notNullable();
    /** { text, html } as JSON, AES-256-GCM: the bodies carry single-use links. */
    table.text('body_encrypted').notNullable();
    table.string('status', 16).notNullable().defaultTo('pending');
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    table.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('sent_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['tenant_id', 'id'], { constraintName: 'mail_outbox__pk' });
    table.index(['status', 'next_attempt_at'], 'mail_outbox__pending');
  });
  await knex.raw(
    `alter table mail_outbox add constraint mail_outbox__status check (status in ('pending', 'sent', 'failed'))`,
  );

  await knex.raw(
    `alter table api_sessions add constraint api_sessions__account_type check (account_type in ('tenant_account', 'environment_account'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mail_outbox');
  await knex.schema.dropTable('api_sessions');
  await knex.schema.dropTable('oidc_artifacts');
  await knex.schema.dropTable('signing_keys');
  await knex.schema.dropTable('oidc_clients');
  await knex.schema.dropTable('environment_accounts');
  await knex.schema.dropTable('environments');
  await knex.schema.dropTable('tenant_accounts');
  await knex.schema.dropTable('tenants');
  await knex.schema.dropTable('system_values');
}
