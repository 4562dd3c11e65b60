import { ConfigError, loadConfig } from '../../src/config/index.js';

const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://db/broker',
  TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  ADMIN_API_TOKEN: 'a'.repeat(32),
  PUBLIC_URL: 'https://broker.example.com',
};

describe('WEBHOOK_ALLOW_PRIVATE_URLS', () => {
  it('defaults to refusing private destinations in production only', () => {
    expect(loadConfig({}).webhookAllowPrivateUrls).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).webhookAllowPrivateUrls).toBe(true);
    expect(loadConfig(production).webhookAllowPrivateUrls).toBe(false);
  });

  it('can be set either way', () => {
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_URLS: 'false' }).webhookAllowPrivateUrls).toBe(false);
    expect(
      loadConfig({ ...production, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }).webhookAllowPrivateUrls,
    ).toBe(true);
  });

  it('rejects anything but true or false, naming the variable', () => {
    const run = () => loadConfig({ WEBHOOK_ALLOW_PRIVATE_URLS: 'yes' });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow('WEBHOOK_ALLOW_PRIVATE_URLS must be true or false (got "yes")');
  });
});
