import { describe, expect, it } from '@jest/globals';
import { clientRuleProblems, redirectUriProblem, usesClientSecret, withClientDefaults } from '../../src/services/client-rules.js';

describe('client rules', () => {
  it('fills DESIGN.md’s defaults', () => {
    expect(withClientDefaults({ name: 'x' })).toEqual({
      name: 'x',
      redirectUris: [],
      postLogoutRedirectUris: [],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      applicationType: 'web',
      scopes: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'],
      firstParty: false,
      requirePkce: true,
      jwks: null,
      jwksUri: null,
      backchannelLogoutUri: null,
      allowedCorsOrigins: [],
      idTokenSignedResponseAlg: 'RS256',
      allowedResources: [],
    });
  });

  it('gives a secret only to client_secret_basic and client_secret_post', () => {
    expect(usesClientSecret('client_secret_basic')).toBe(true);
    expect(usesClientSecret('client_secret_post')).toBe(true);
    expect(usesClientSecret('private_key_jwt')).toBe(false);
    expect(usesClientSecret('none')).toBe(false);
  });

  describe('redirect URIs of web clients', () => {
    it.each([
      'https://app.example.com/cb',
      'https://app.example.com:8443/cb?x=1',
      'http://localhost/cb',
      'http://localhost:7777/callback',
      'http://127.0.0.1:8080/cb',
      'http://127.10.0.1/cb',
      'http://[::1]:3000/cb',
    ])('accepts %s', (uri) => {
      expect(redirectUriProblem(uri, 'web')).toBeUndefined();
    });

    it.each([
      ['https://app.example.com/cb#frag', /fragment/],
      ['https://app.example.com/cb#', /fragment/],
      ['https://user@app.example.com/cb', /user information/],
      ['https://user:pass@app.example.com/cb', /user information/],
      ['https://*.example.com/cb', /wildcard/],
      ['https://app.example.com/*', /wildcard/],
      ['/relative/cb', /absolute/],
      ['app.example.com/cb', /absolute/],
      ['http://app.example.com/cb', /loopback/],
      ['http://localhost.evil.com/cb', /loopback/],
      ['http://127.0.0.1.evil.com/cb', /loopback/],
      ['com.example.app:/cb', /http\(s\)/],
      ['ftp://app.example.com/cb', /http\(s\)/],
      [' https://app.example.com/cb', /spaces/],
      ['https://app.example.com/c\nb', /spaces/],
    ])('refuses %s', (uri, message) => {
      expect(redirectUriProblem(uri, 'web')).toMatch(message);
    });
  });

  describe('redirect URIs of native clients', () => {
    it.each(['com.example.app:/oauth2redirect', 'myapp://callback', 'http://127.0.0.1:51234/cb', 'http://[::1]/cb', 'https://app.example.com/cb'])(
      'accepts %s',
      (uri) => {
        expect(redirectUriProblem(uri, 'native')).toBeUndefined();
      },
    );

    it.each([
      ['javascript:alert(1)', /javascript/],
      ['data:text/html,x', /data/],
      ['file:///etc/passwd', /file/],
      ['http://example.com/cb', /localhost/],
      ['http://127.0.0.2/cb', /localhost/],
      ['https://localhost/cb', /loopback/],
      ['myapp://user@host/cb', /user information/],
    ])('refuses %s', (uri, message) => {
      expect(redirectUriProblem(uri, 'native')).toMatch(message);
    });
  });

  describe('rules between fields', () => {
    const fields = (input: Parameters<typeof withClientDefaults>[0]) =>
      clientRuleProblems(withClientDefaults(input)).map((problem) => problem.field);

    it('accepts the default client with one redirect URI', () => {
      expect(fields({ name: 'x', redirectUris: ['https://a.example/cb'] })).toEqual([]);
    });

    it('needs a redirect URI for the code grant only', () => {
      expect(fields({ name: 'x' })).toEqual(['redirectUris']);
      expect(fields({ name: 'x', grantTypes: ['client_credentials'] })).toEqual([]);
    });

    it('keeps public clients to PKCE and away from client_credentials', () => {
      const base = { name: 'x', redirectUris: ['https://a.example/cb'], tokenEndpointAuthMethod: 'none' as const };
      expect(fields(base)).toEqual([]);
      expect(fields({ ...base, grantTypes: ['client_credentials'] })).toContain('grantTypes');
      expect(fields({ ...base, requirePkce: false })).toEqual(['requirePkce']);
      // a confidential client may turn PKCE off
      expect(fields({ ...base, tokenEndpointAuthMethod: 'client_secret_basic', requirePkce: false })).toEqual([]);
    });

    it('needs exactly one of jwks / jwksUri for private_key_jwt, and neither otherwise', () => {
      const base = { name: 'x', redirectUris: ['https://a.example/cb'] };
      const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] };
      expect(fields({ ...base, tokenEndpointAuthMethod: 'private_key_jwt' })).toEqual(['jwks']);
      expect(fields({ ...base, tokenEndpointAuthMethod: 'private_key_jwt', jwks })).toEqual([]);
      expect(fields({ ...base, tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://a.example/jwks' })).toEqual([]);
      expect(fields({ ...base, tokenEndpointAuthMethod: 'private_key_jwt', jwks, jwksUri: 'https://a.example/jwks' })).toEqual(['jwksUri']);
      expect(fields({ ...base, jwks })).toEqual(['jwks']);
      expect(fields({ ...base, tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', d: 'secret' }] } })).toEqual([
        'jwks.keys[0]',
      ]);
    });

    it('names each bad list entry by its index', () => {
      expect(
        fields({
          name: 'x',
          redirectUris: ['https://a.example/cb', 'http://evil.example/cb'],
          postLogoutRedirectUris: ['https://a.example/bye#x'],
          allowedCorsOrigins: ['https://a.example', 'https://a.example/'],
        }),
      ).toEqual(['redirectUris[1]', 'postLogoutRedirectUris[0]', 'allowedCorsOrigins[1]']);
    });
  });
});
