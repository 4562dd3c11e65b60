import { clientIpOf } from '../../src/http/client-ip.js';
import type { IncomingMessage } from 'node:http';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { fromIp } from '../support/from-ip.js';
import { createService, type CreatedService } from '../tokens/support.js';
import { bearer } from '../support/factories.js';

const LIMIT = 3;
const basic = (id: string, secret: string) => ({
  Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});

describe('failed authentication never locks out a correct credential (issue 19, item 1)', () => {
  let broker: TestBroker;
  let victim: CreatedService;
  const forgedKey = () => `${victim.api_key.slice(0, -43)}${'A'.repeat(43)}`;
  const read = (ip: string, key: string, xff?: string) =>
    fromIp(ip, `${broker.url}/v1/connections/conn_unknown/token`, {
      headers: { ...bearer(key), ...(xff ? { 'X-Forwarded-For': xff } : {}) },
    });
  const token = (ip: string, secret: string) =>
    fromIp(ip, `${broker.url}/oauth/token`, {
      method: 'POST',
      headers: basic(victim.client_id, secret),
      form: { grant_type: 'client_credentials' },
    });

  beforeAll(async () => {
    broker = await startTestBroker({
      jobs: () => [],
      env: {
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: String(LIMIT),
        RATE_LIMIT_TOKEN_PER_MINUTE: '0',
        TRUST_PROXY: '1',
      },
    });
    victim = await createService(broker, []);
  });
  afterAll(() => broker.close());
  beforeEach(() => broker.db.prisma.rateLimitBucket.deleteMany());

  it("others' forged requests with a victim's key id and client_id lock the victim out of the token read and /oauth/token", async () => {
    // Forged from many IPs (none over its own limit): 401, and 429 once the ids are over.
    for (let i = 0; i <= LIMIT; i++) {
      const expected = i < LIMIT ? 401 : 429;
      expect((await read(`127.0.0.${10 + i}`, forgedKey())).status).toBe(expected);
      expect((await token(`127.0.0.${10 + i}`, 'wrong-secret')).status).toBe(expected);
    }
    // The owner, with the right secrets: authenticated (404: no such connection).
    expect((await read('127.0.0.3', victim.api_key)).status).toBe(404);
    expect((await token('127.0.0.3', victim.client_secret)).status).toBe(200);
    // Wrong secrets for that key id and client id stay slowed from every IP.
    const slowed = await read('127.0.0.4', forgedKey());
    expect(slowed.status).toBe(429);
    expect(Number(slowed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await token('127.0.0.4', 'wrong-again')).status).toBe(429);
    // …and the owner still gets through from there.
    expect((await read('127.0.0.4', victim.api_key)).status).toBe(404);
    expect((await token('127.0.0.4', victim.client_secret)).status).toBe(200);
    // The failing IP itself is blocked once over its limit, whatever it presents.
    const random = `tbk_0123456789abcdef_${'C'.repeat(43)}`;
    for (let i = 0; i <= LIMIT; i++) await read('127.0.0.2', random);
    expect((await read('127.0.0.2', victim.api_key)).status).toBe(429);
  });

  it('TRUST_PROXY: per-IP limits see the client behind the proxy, not the proxy (item 2)', async () => {
    // One proxy (127.0.0.6) in front of two clients; each appends X-Forwarded-For.
    const viaProxy = (client: string, key: string, spoofed?: string) =>
      read('127.0.0.6', key, spoofed ? `${spoofed}, ${client}` : client);
    const wrong = `tbk_0123456789abcdef_${'B'.repeat(43)}`;
    for (let i = 0; i <= LIMIT; i++) {
      // A client's own X-Forwarded-For entries (left of the proxy's) are not believed.
      const res = await viaProxy('203.0.113.7', wrong, `198.51.100.${i}`);
      expect(res.status).toBe(i < LIMIT ? 401 : 429);
    }
    expect((await viaProxy('203.0.113.7', victim.api_key, '198.51.100.99')).status).toBe(429);
    // Another client of the same proxy is not blocked.
    expect((await viaProxy('203.0.113.8', victim.api_key)).status).toBe(404);
    const buckets = await broker.db.prisma.rateLimitBucket.findMany();
    expect(buckets.map((b) => b.key)).toContain('auth-failure:ip:203.0.113.7');
    expect(buckets.map((b) => b.key).filter((k) => k.includes('198.51.100'))).toEqual([]);
  });
});

describe('clientIpOf (TRUST_PROXY)', () => {
  const req = (remoteAddress: string, xff?: string) =>
    ({
      socket: { remoteAddress },
      headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
    }) as unknown as IncomingMessage;

  it.each([
    ['no proxy trusted: X-Forwarded-For is ignored', req('10.0.0.1', '203.0.113.7'), 0, '10.0.0.1'],
    [
      'one hop: the entry the proxy appended',
      req('10.0.0.1', '1.1.1.1, 203.0.113.7'),
      1,
      '203.0.113.7',
    ],
    ['two hops', req('10.0.0.1', '1.1.1.1, 203.0.113.7, 10.0.0.2'), 2, '203.0.113.7'],
    ['more hops than entries: the leftmost', req('10.0.0.1', '203.0.113.7'), 3, '203.0.113.7'],
    ['no header behind a proxy: the proxy', req('10.0.0.1'), 1, '10.0.0.1'],
    ['garbage stops the walk', req('10.0.0.1', 'evil, not-an-ip'), 2, '10.0.0.1'],
    ['IPv4-mapped peers read as IPv4', req('::ffff:127.0.0.1'), 0, '127.0.0.1'],
  ])('%s', (_what, r, hops, expected) => {
    expect(clientIpOf(r, hops)).toBe(expected);
  });
});
