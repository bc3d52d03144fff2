import type { Knex } from 'knex';
import ClientPgLite from 'knex-pglite';

interface QueryObject {
  method?: string;
  response?: unknown;
}

type ClientConstructor = new (config: Knex.Config) => Knex.Client & {
  processResponse(obj: QueryObject, runner: unknown): unknown;
};

/**
 * knex-pglite names a delete's command "DEL" (from knex's method name), so knex's PostgreSQL
 * response processing misses it and `delete()` answers the raw result instead of the row count
 * it gives on a real PostgreSQL. This keeps the two the same.
 */
export class PgLiteClient extends (ClientPgLite as unknown as ClientConstructor) {
  override processResponse(obj: QueryObject, runner: unknown): unknown {
    const method = obj.method === 'del' ? 'delete' : obj.method;
    return super.processResponse({ ...obj, method }, runner);
  }
}
