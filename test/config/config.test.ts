import { ConfigError, loadConfig } from '../../src/config/index.js';

const key = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

describe('loadConfig', () => {
  it('gives every variable its documented default', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      publicUrl: undefined,
      databaseUrl: undefined,
      refreshCron: '*/30 * * * * *',
      refreshWindowSeconds: 300,
      refreshConcurrency: 8,
      logLevel: 'info',
      bodyLimitBytes: 65536,
    });
  });

  it.each([
    ['PORT', 'abc', 'PORT must be a port number (got "abc")'],
    ['PORT', '70000', 'PORT'],
    ['REFRESH_CONCURRENCY', '0', 'REFRESH_CONCURRENCY'],
    ['REFRESH_WINDOW_SECONDS', '-5', 'REFRESH_WINDOW_SECONDS must be a whole number'],
    ['REFRESH_CRON', 'every minute', 'REFRESH_CRON must be a node-cron expression or "off"'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL'],
    ['PUBLIC_URL', 'ftp://x', 'PUBLIC_URL must be an http(s) URL'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL must be a postgres:// URL'],
    [
      'TOKEN_ENCRYPTION_KEYS',
      'k1:short',
      'TOKEN_ENCRYPTION_KEYS entries must be kid:base64 of 32 bytes',
    ],
    ['TOKEN_ENCRYPTION_KEYS', `${key},${key}`, 'TOKEN_ENCRYPTION_KEYS key id "k1" appears twice'],
  ])('rejects %s=%s with one line naming it', (variable, value, message) => {
    const run = () => loadConfig({ [variable]: value });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
    try {
      run();
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('never echoes a secret variable in its error', () => {
    expect(() => loadConfig({ ADMIN_API_TOKEN: 'short-secret' })).toThrow(
      /^ADMIN_API_TOKEN must be at least 24 characters$/,
    );
  });

  it('accepts several encryption keys, the first one current', () => {
    const k2 = `k2:${Buffer.alloc(32, 9).toString('base64')}`;
    const c = loadConfig({ TOKEN_ENCRYPTION_KEYS: `${k2}, ${key}` });
    expect(c.encryptionKeys?.map((k) => k.kid)).toEqual(['k2', 'k1']);
  });

  it('refuses production without every secret set', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      'DATABASE_URL is required when NODE_ENV=production',
    );
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://db/x',
        TOKEN_ENCRYPTION_KEYS: key,
      }),
    ).toThrow('ADMIN_API_TOKEN is required when NODE_ENV=production');
    const ok = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/x',
      TOKEN_ENCRYPTION_KEYS: key,
      ADMIN_API_TOKEN: 'x'.repeat(32),
      PUBLIC_URL: 'https://broker.example.com/',
    });
    expect(ok.publicUrl).toBe('https://broker.example.com');
  });
});
