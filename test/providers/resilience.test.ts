import { CircuitState } from 'cockatiel';
import { createProviderOAuth } from '../../src/providers/oauth-client.js';
import { type ProviderRecord } from '../../src/providers/types.js';
import { withResilience } from '../../src/providers/resilience.js';
import { providerRecord } from '../support/factories.js';
import {
  PermanentUpstreamError,
  TransientUpstreamError,
} from '../../src/providers/upstream-errors.js';
import {
  garbage,
  hang,
  okTokens,
  reset,
  startFakeProvider,
  status,
} from '../support/fake-provider.js';

const record = (key: string, metadata: ProviderRecord['metadata']) =>
  providerRecord(key, metadata, {
    clientId: 'c',
    clientAuthMethod: 'client_secret_post',
    clientSecret: 's',
  });

const fast = {
  initialDelayMs: 10,
  maxDelayMs: 1_500,
  halfOpenAfterMs: 300,
  breakerThreshold: 3,
  maxAttempts: 3,
};

describe('provider call resilience', () => {
  it('retries a 429 after its Retry-After, then succeeds', async () => {
    const fake = await startFakeProvider([status(429, { 'retry-after': '1' }), okTokens()]);
    const oauth = withResilience(
      createProviderOAuth({ timeoutSeconds: 2, allowPrivateUrls: true }),
      fast,
    );
    const started = Date.now();
    const tokens = await oauth.refresh(record('p429', fake.metadata), 'rt');
    expect(tokens.accessToken).toMatch(/^at-/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.requests).toHaveLength(2);
    await fake.close();
  });

  it('never repeats a refresh that may have reached the provider (500, timeout, garbage)', async () => {
    for (const [handler, errorClass] of [
      [status(500), 'http_500'],
      [garbage, 'bad_response'],
      [hang, 'timeout'],
    ] as const) {
      const fake = await startFakeProvider([handler, okTokens()]);
      const oauth = withResilience(
        createProviderOAuth({ timeoutSeconds: 1, allowPrivateUrls: true }),
        fast,
      );
      const error = await oauth
        .refresh(record(`p-${errorClass}`, fake.metadata), 'rt')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientUpstreamError);
      expect((error as TransientUpstreamError).errorClass).toBe(errorClass);
      expect(fake.requests).toHaveLength(1);
      await fake.close();
    }
  });

  it('classifies invalid_grant as permanent without retrying', async () => {
    const fake = await startFakeProvider([status(400, {}, { error: 'invalid_grant' })]);
    const oauth = withResilience(
      createProviderOAuth({ timeoutSeconds: 2, allowPrivateUrls: true }),
      fast,
    );
    await expect(oauth.refresh(record('pig', fake.metadata), 'rt')).rejects.toBeInstanceOf(
      PermanentUpstreamError,
    );
    expect(fake.requests).toHaveLength(1);
    await fake.close();
  });

  it('opens the circuit after repeated failures, probes once half-open, closes on success', async () => {
    const fake = await startFakeProvider([reset]);
    const oauth = withResilience(
      createProviderOAuth({ timeoutSeconds: 2, allowPrivateUrls: true }),
      {
        ...fast,
        maxAttempts: 1,
      },
    );
    const p = record('pbreak', fake.metadata);
    for (let i = 0; i < 3; i++)
      await expect(oauth.refresh(p, 'rt')).rejects.toBeInstanceOf(TransientUpstreamError);
    expect(oauth.circuitState('pbreak')).toBe(CircuitState.Open);
    const seen = fake.requests.length;
    const open = await oauth.refresh(p, 'rt').catch((e: unknown) => e);
    expect((open as TransientUpstreamError).errorClass).toBe('circuit_open');
    expect(fake.requests.length).toBe(seen);

    fake.setScript([okTokens()]);
    await new Promise((r) => setTimeout(r, 350));
    await expect(oauth.refresh(p, 'rt')).resolves.toMatchObject({ tokenType: 'Bearer' });
    expect(oauth.circuitState('pbreak')).toBe(CircuitState.Closed);
    expect(fake.requests).toHaveLength(1);
    await fake.close();
  });
});
