const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08003',
  '08006',
]);

/** The database is down or unreachable: the answer is a 503, not a 500. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = (error as { code?: string }).code;
  if (code && UNAVAILABLE_CODES.has(code)) return true;
  const message = String((error as { message?: string }).message ?? '');
  return (
    /Timeout acquiring a connection/i.test(message) ||
    /Unable to acquire a connection/i.test(message) ||
    /Connection terminated/i.test(message) ||
    /connect ECONNREFUSED/i.test(message)
  );
}
