import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('health', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers liveness at the seed path', async () => {
    const response = await request(server.url).get('/api/v1/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', timestamp: expect.any(String), uptime: expect.any(Number) });
  });

  it('answers readiness when the database is reachable', async () => {
    const response = await request(server.url).get('/readyz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('answers an unknown path with a problem+json 404', async () => {
    const response = await request(server.url).get('/api/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, code: 'request.not_found', type: 'urn:sump:problem:request.not_found' });
  });
});
