import { describe, expect, it } from '@jest/globals';
import { fetchableUrlProblem, isLoopbackHost, isPublicAddress } from '../../src/services/url-rules.js';

describe('URL rules', () => {
  it('knows loopback hosts', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['localhost.example.com', '128.0.0.1', '::1', 'example.com', '127.0.0.1.nip.io']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it('tells public addresses from private, loopback and link-local ones', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) expect(isPublicAddress(address)).toBe(true);
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fc00::1', '::ffff:127.0.0.1', 'not-an-ip']) {
      expect(isPublicAddress(address)).toBe(false);
    }
  });

  it('accepts http(s) fetch URLs outside production', async () => {
    await expect(fetchableUrlProblem('http://localhost:9000/jwks', { production: false })).resolves.toBeUndefined();
    await expect(fetchableUrlProblem('ftp://example.com/jwks', { production: false })).resolves.toMatch(/http/);
    await expect(fetchableUrlProblem('https://u:p@example.com/jwks', { production: false })).resolves.toMatch(/credentials/);
  });

  it('in production, needs https and a public address', async () => {
    await expect(fetchableUrlProblem('http://8.8.8.8/jwks', { production: true })).resolves.toMatch(/https/);
    await expect(fetchableUrlProblem('https://127.0.0.1/jwks', { production: true })).resolves.toMatch(/private or local/);
    await expect(fetchableUrlProblem('https://[::1]/jwks', { production: true })).resolves.toMatch(/private or local/);
    await expect(fetchableUrlProblem('https://169.254.169.254/latest', { production: true })).resolves.toMatch(/private or local/);
    await expect(fetchableUrlProblem('https://localhost/jwks', { production: true })).resolves.toMatch(/private or local|resolves/);
    await expect(fetchableUrlProblem('https://8.8.8.8/jwks', { production: true })).resolves.toBeUndefined();
  });
});
