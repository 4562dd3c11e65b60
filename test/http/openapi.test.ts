import request from 'supertest';
import { buildRoutes } from '../../src/http/app.js';
import { toOpenApiPath } from '../../src/http/router.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';

describe('GET /openapi.json', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(() => broker.close());

  it('is OpenAPI 3.1 and documents every mounted route', async () => {
    const res = await request(broker.url).get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    const documented = new Set(
      Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(
        ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    const mounted = buildRoutes(broker.container).routes.map(
      (r) => `${r.method} ${toOpenApiPath(r.path)}`,
    );
    expect(mounted.filter((r) => !documented.has(r))).toEqual([]);
  });

  it('names every operation once, in camelCase, so generated clients get good names', async () => {
    const res = await request(broker.url).get('/openapi.json').expect(200);
    const operations = Object.values(
      res.body.paths as Record<string, Record<string, { operationId?: string }>>,
    ).flatMap((item) => Object.values(item));
    const ids = operations.map((op) => op.operationId);
    expect(ids.filter((id) => !/^[a-z][A-Za-z0-9]*$/.test(id ?? ''))).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('refers only to named schemas that it defines', async () => {
    const res = await request(broker.url).get('/openapi.json').expect(200);
    const refs = [...JSON.stringify(res.body).matchAll(/"#\/components\/schemas\/([^"]+)"/g)];
    const named = Object.keys(res.body.components.schemas as object);
    expect(named).toEqual(expect.arrayContaining(['Connection', 'Token', 'Service', 'Error']));
    expect(refs.map((m) => m[1]).filter((name) => !named.includes(name ?? ''))).toEqual([]);
  });
});
