import request from 'supertest';
import { createLogger } from '../../src/observability/logger.js';
import { LogCapture, startTestBroker, type TestBroker } from '../support/broker.js';

const SECRET = 'ya29.super-secret-token-value';

describe('log redaction', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(() => broker.close());

  it('a token sent through requests never appears in the captured logs', async () => {
    await request(broker.url)
      .get('/healthz')
      .set('Authorization', `Bearer ${SECRET}`)
      .set('Cookie', `tb=${SECRET}`);
    await request(broker.url).get(`/connect/${SECRET}?code=${SECRET}`);
    await request(broker.url)
      .post('/nope')
      .type('form')
      .send({ refresh_token: SECRET, client_secret: SECRET });
    await request(broker.url)
      .post('/healthz')
      .set('Content-Type', 'application/json')
      .send(`{"access_token":"${SECRET}"`);
    await new Promise((r) => setTimeout(r, 50));
    expect(broker.logs.lines.length).toBeGreaterThanOrEqual(4);
    expect(broker.logs.text).not.toContain(SECRET);
  });

  it('censors secret fields wherever a log call passes them', () => {
    const capture = new LogCapture();
    const logger = createLogger({ level: 'info', destination: capture });
    logger.info(
      {
        access_token: SECRET,
        body: { refresh_token: SECRET, client_secret: SECRET },
        headers: { authorization: SECRET },
      },
      'x',
    );
    expect(capture.text).toContain('[redacted]');
    expect(capture.text).not.toContain(SECRET);
  });
});
