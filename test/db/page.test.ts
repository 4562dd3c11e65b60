import request from 'supertest';
import { encodeCursor } from '../../src/db/page.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';

/** Cursors this API never made: not base64 JSON, the wrong shape, a key of the wrong kind. */
const BAD_CURSORS = [
  'garbage',
  Buffer.from('{}').toString('base64url'),
  encodeCursor(['a', 'b', 'c']),
  encodeCursor(['not-a-date', 'conn_1']),
];

describe('every list answers 400 invalid_request to a cursor it did not make', () => {
  let broker: TestBroker;
  let apiKey: string;

  beforeAll(async () => {
    broker = await startTestBroker();
    ({ apiKey } = await broker.container.services.create({
      name: 'pager',
      allowedProviders: [],
      allowedReturnTo: [],
    }));
  });
  afterAll(() => broker.close());

  const lists: [string, () => string][] = [
    ['/v1/connections', () => apiKey],
    ['/admin/connections', () => broker.adminToken],
    ['/admin/audit', () => broker.adminToken],
    ['/admin/providers', () => broker.adminToken],
    ['/admin/webhooks', () => broker.adminToken],
    ['/admin/webhook-deliveries', () => broker.adminToken],
  ];

  it.each(lists)('%s', async (path, token) => {
    for (const cursor of BAD_CURSORS) {
      const res = await request(broker.url)
        .get(path)
        .query({ cursor })
        .set('Authorization', `Bearer ${token()}`);
      expect([cursor, res.status, res.body.error]).toEqual([cursor, 400, 'invalid_request']);
      expect(res.body.error_description).toMatch(/^cursor: /);
    }
  });

  it('regression: GET /admin/providers answered 200 to a cursor it never made', async () => {
    const res = await request(broker.url)
      .get('/admin/providers?cursor=bm90LWEtY3Vyc29y')
      .set('Authorization', `Bearer ${broker.adminToken}`)
      .expect(400);
    expect(res.body).toStrictEqual({
      error: 'invalid_request',
      error_description: 'cursor: not a cursor returned by this API',
    });
  });
});
