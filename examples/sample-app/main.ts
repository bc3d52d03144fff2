/**
 * The sample app on its own:
 *
 *   ISSUER=http://localhost:8080/oidc/<environmentId> CLIENT_ID=… CLIENT_SECRET=… \
 *     npx tsx examples/sample-app/main.ts
 *
 * SAMPLE_APP_PORT (default 7777) and SAMPLE_APP_URL (default http://localhost:$SAMPLE_APP_PORT)
 * are optional. The client must have <SAMPLE_APP_URL>/callback as a redirect URI and
 * <SAMPLE_APP_URL>/ as a post-logout redirect URI.
 */
import { DEFAULT_SAMPLE_APP_PORT, startSampleApp } from './sample-app.js';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function port(): number {
  const raw = process.env.SAMPLE_APP_PORT?.trim();
  if (!raw) return DEFAULT_SAMPLE_APP_PORT;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new Error(`SAMPLE_APP_PORT must be a port number, not "${raw}"`);
  return Number(raw);
}

async function main(): Promise<void> {
  const app = await startSampleApp({
    issuer: required('ISSUER'),
    clientId: required('CLIENT_ID'),
    clientSecret: required('CLIENT_SECRET'),
    port: port(),
    url: process.env.SAMPLE_APP_URL?.trim() || undefined,
  });
  console.log(`Sample app on ${app.url}/ (issuer ${app.issuer}). Ctrl-C stops it.`);
  const stop = () => void app.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`sample app: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
