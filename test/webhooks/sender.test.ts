import { isPrivateAddress } from '../../src/webhooks/destination.js';
import {
  DEFAULT_RETRY_SCHEDULE_MS,
  verdict,
  type Verdict,
} from '../../src/webhooks/retry-policy.js';
import { send, type SendResult } from '../../src/webhooks/sender.js';
import { sign } from '../../src/webhooks/signing.js';
import { startReceiver, type Receiver } from './receiver.js';

const post = (url: string, allowPrivate = true, timeoutMs = 2_000) =>
  send({
    url,
    headers: { 'content-type': 'application/json' },
    body: '{}',
    timeoutMs,
    allowPrivate,
  });

describe('send', () => {
  let receiver: Receiver | undefined;
  afterEach(() => receiver?.close());

  it('does not follow redirects', async () => {
    receiver = await startReceiver((n) =>
      n === 0 ? { status: 302, headers: { Location: '/elsewhere' } } : { status: 200 },
    );
    const result = await post(receiver.url);
    expect(result.status).toBe(302);
    expect(receiver.received).toHaveLength(1);
  });

  it('gives up after the timeout', async () => {
    receiver = await startReceiver(() => 'hang');
    const result = await post(receiver.url, true, 300);
    expect(result).toMatchObject({ status: undefined, error: 'timeout' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
    expect(result.latencyMs).toBeLessThan(2_000);
  });

  it('keeps only a short prefix of the response and reads Retry-After', async () => {
    receiver = await startReceiver(() => ({
      status: 503,
      headers: { 'Retry-After': '7' },
      body: 'é'.repeat(100_000),
    }));
    const result = await post(receiver.url);
    expect(result).toMatchObject({ status: 503, retryAfterSeconds: 7, error: undefined });
    expect(result.bodyPrefix).toBe('é'.repeat(256));
  });

  it('refuses loopback and private destinations unless allowed, resolving names first', async () => {
    receiver = await startReceiver();
    const port = new URL(receiver.url).port;
    for (const url of [
      `http://localhost:${port}/hook`,
      `http://127.0.0.1:${port}/hook`,
      `http://[::ffff:127.0.0.1]:${port}/hook`,
      'http://10.0.0.1/hook',
    ]) {
      expect((await post(url, false)).error).toBe('destination_refused');
    }
    expect(receiver.received).toHaveLength(0);
    expect((await post(`http://localhost:${port}/hook`, true)).status).toBe(204);
  });

  it('reports a refused connection as a network error', async () => {
    receiver = await startReceiver();
    const url = receiver.url;
    await receiver.close();
    expect((await post(url)).error).toBe('network');
  });
});

describe('isPrivateAddress', () => {
  it.each([
    // Missed by the hand-written list (issue 19): IPv4-compatible, 6to4, site-local, Teredo.
    ['::7f00:1', true],
    ['::a00:1', true],
    ['2002:7f00:1::1', true],
    ['2002:c0a8:101::1', true],
    ['fec0::1', true],
    ['2001:0:7f00:1::1', true],
    ['::ffff:127.0.0.1', true],
    ['not-an-ip', true],
    ['127.0.0.1', true],
    ['10.20.30.40', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['::1', true],
    ['::', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:10.0.0.1', true],
    ['8.8.8.8', false],
    ['172.32.0.1', false],
    ['93.184.215.14', false],
    ['2606:4700::1111', false],
  ])('%s → %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('retry policy', () => {
  const result = (status: number | undefined, extra: Partial<SendResult> = {}): SendResult => ({
    status,
    latencyMs: 1,
    error: status === undefined ? 'network' : undefined,
    retryAfterSeconds: undefined,
    bodyPrefix: undefined,
    ...extra,
  });
  const kind = (v: Verdict) => v.kind;

  it('retries network errors, timeouts, 5xx, 408, 409 and 429; stops on other 4xx', () => {
    for (const status of [undefined, 500, 502, 503, 408, 409, 429])
      expect(kind(verdict(result(status), 1, DEFAULT_RETRY_SCHEDULE_MS))).toBe('retry');
    for (const status of [400, 401, 403, 404, 410, 422, 301])
      expect(verdict(result(status), 1, DEFAULT_RETRY_SCHEDULE_MS)).toEqual({
        kind: 'failed',
        reason: 'permanent',
      });
    expect(kind(verdict(result(204), 1, DEFAULT_RETRY_SCHEDULE_MS))).toBe('delivered');
    expect(kind(verdict(result(undefined, { error: 'destination_refused' }), 1, [1000]))).toBe(
      'failed',
    );
  });

  it('retries first within 5 s and spends about 24 h in all, jitter never lengthening', () => {
    const delays = (random: () => number) =>
      DEFAULT_RETRY_SCHEDULE_MS.map((_, i) => {
        const v = verdict(result(503), i + 1, DEFAULT_RETRY_SCHEDULE_MS, random);
        return v.kind === 'retry' ? v.delayMs : NaN;
      });
    const longest = delays(() => 0.999_999);
    const shortest = delays(() => 0);
    expect(longest[0]).toBeLessThanOrEqual(5_000);
    const hours = (ds: number[]) => ds.reduce((a, b) => a + b, 0) / 3_600_000;
    expect(hours(longest)).toBeGreaterThan(23);
    expect(hours(longest)).toBeLessThanOrEqual(24);
    expect(hours(shortest)).toBeGreaterThan(18);
    expect(
      verdict(result(503), DEFAULT_RETRY_SCHEDULE_MS.length + 1, DEFAULT_RETRY_SCHEDULE_MS),
    ).toEqual({ kind: 'failed', reason: 'exhausted' });
  });

  it('waits at least Retry-After, capped at 24 h', () => {
    const wait = (seconds: number) =>
      verdict(result(429, { retryAfterSeconds: seconds }), 1, DEFAULT_RETRY_SCHEDULE_MS);
    expect(wait(120)).toEqual({ kind: 'retry', delayMs: 120_000 });
    expect(wait(10 ** 9)).toEqual({ kind: 'retry', delayMs: 24 * 3_600_000 });
  });
});

describe('sign', () => {
  // The example of the Standard Webhooks specification's reference libraries.
  it('matches the Standard Webhooks reference vector', () => {
    expect(
      sign(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});
