import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Hosts a browser or a native app reaches on the same machine. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** The loopback names oidc-provider itself accepts for native clients' http redirects. */
export const PROVIDER_LOOPBACKS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

const notPublic = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  notPublic.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  // IPv4-mapped addresses (::ffff:a.b.c.d) are checked against the IPv4 rules by BlockList itself.
  ['::', 127],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  notPublic.addSubnet(net, prefix, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !notPublic.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * A URL sump itself will fetch (jwksUri, backchannelLogoutUri): https outside development and,
 * in production, never resolving to a loopback, link-local or private address. Answers the
 * problem, or undefined when the URL is acceptable.
 */
export async function fetchableUrlProblem(value: string, options: { production: boolean }): Promise<string | undefined> {
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return 'must be an http(s) URL';
  if (url.username || url.password || value.includes('#')) return 'must not carry credentials or a fragment';
  if (!options.production) return undefined;
  if (url.protocol !== 'https:') return 'must be an https URL';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch {
    return 'must name a host that resolves';
  }
  if (addresses.length === 0 || !addresses.every(isPublicAddress)) return 'must not point to a private or local address';
  return undefined;
}

/**
 * An https origin with a plain host (DNS name or IPv4) and optional port. A URL parser keeps
 * `;`, `,` and `'` in a host, which in a CSP source would end the directive: only such a plain
 * origin may be put into one (a logo's origin into `img-src`).
 */
const PLAIN_HTTPS_ORIGIN = /^https:\/\/[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::[0-9]{1,5})?$/;

/** The URL's origin when it is a plain https origin, else undefined. */
export function plainHttpsOrigin(url: string | null): string | undefined {
  if (url === null || !url.startsWith('https://')) return undefined;
  try {
    const { origin } = new URL(url);
    return PLAIN_HTTPS_ORIGIN.test(origin) ? origin : undefined;
  } catch {
    return undefined;
  }
}
