import cron from 'node-cron';
import { z } from 'zod';

/** Documentation of every variable, shared by the README table test and `.env.example`. */
export const CONFIG_DOCS = {
  NODE_ENV: 'development | test | production; production refuses generated secrets',
  PORT: 'listen port',
  PUBLIC_URL: 'external base URL; the OAuth callback is ${PUBLIC_URL}/oauth/callback',
  DATABASE_URL: 'Postgres URL; unset starts an embedded Postgres under DATA_DIR',
  TOKEN_ENCRYPTION_KEYS: 'comma list kid:base64(32 bytes); the first one encrypts, all decrypt',
  ADMIN_API_TOKEN: 'bearer token for /admin and the console',
  REFRESH_CRON: 'node-cron expression of the refresher sweep (6 fields allowed); off disables it',
  REFRESH_WINDOW_SECONDS: 'refresh tokens expiring within this many seconds',
  REFRESH_CONCURRENCY: 'refreshes in flight per replica',
  REFRESH_PROVIDER_CONCURRENCY: 'refreshes in flight per provider on each replica',
  REFRESH_KEEPALIVE_DAYS:
    'refresh a connection whose refresh token was not used for this many days; 0 disables',
  LOG_LEVEL: 'pino level: fatal, error, warn, info, debug, trace, silent',
  LOG_FORMAT:
    'json, pretty (one coloured line per entry, for people), or auto: pretty when stdout is a terminal, else json',
  DATA_DIR: 'where development secrets and the embedded Postgres live',
  BODY_LIMIT_BYTES: 'largest accepted request body',
  RATE_LIMIT_TOKEN_PER_MINUTE:
    'POST /oauth/token requests a minute per client credential (all replicas together); 0 disables',
  RATE_LIMIT_CONNECT_PER_MINUTE:
    'POST /v1/connect-sessions a minute per service credential and GET /connect/* a minute per client IP; 0 disables',
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE:
    'failed authentications a minute per client IP and per credential id before 429; 0 disables',
  RATE_LIMIT_PROVIDER_WEBHOOKS_PER_MINUTE:
    'POST /webhooks/providers/{key} requests a minute per provider (all replicas together); 0 disables',
  WEBHOOK_ALLOW_PRIVATE_URLS:
    'true lets webhooks reach loopback and private-range addresses; false refuses them (SSRF)',
  PROVIDER_TEMPLATES_FILE:
    'JSON file of extra provider templates (docs/PROVIDERS.md), checked like the built-in ones at start',
  TRUST_PROXY:
    'hops of reverse proxies whose X-Forwarded-For is believed (per-IP limits, audit IP); 0 uses the socket peer',
  AUDIT_FAIL_CLOSED:
    'true makes token reads answer 503 upstream_unavailable while audit entries cannot be written',
  PROVIDER_ALLOW_PRIVATE_URLS:
    'true lets provider endpoints be http or resolve to loopback and private-range addresses in production',
  WEBHOOK_RETENTION_DAYS:
    'webhook events (provider.webhook payloads too) and deliveries older than this many days are deleted by housekeeping; received provider delivery ids are remembered at least 7 days',
  DATABASE_POOL_SIZE: 'Postgres connections in this replica’s pool',
  DATABASE_PROVIDER_POOL_SIZE:
    'further Postgres connections for refreshes that wait on a provider, so a slow one cannot stall the rest',
  FORCED_REFRESH_INTERVAL_SECONDS:
    'POST /v1/connections/{id}/refresh at most once per connection in this many seconds, then 429; 0 disables',
  TOKEN_KEK:
    'key encryption key that wraps the data keys: env (the first TOKEN_ENCRYPTION_KEYS key) or pkcs11 (an HSM key)',
  TOKEN_KEK_PKCS11_MODULE: 'TOKEN_KEK=pkcs11: path of the PKCS#11 module (.so)',
  TOKEN_KEK_PKCS11_SLOT:
    'TOKEN_KEK=pkcs11: slot id of the token (or give TOKEN_KEK_PKCS11_TOKEN_LABEL)',
  TOKEN_KEK_PKCS11_TOKEN_LABEL:
    'TOKEN_KEK=pkcs11: label of the token (or give TOKEN_KEK_PKCS11_SLOT)',
  TOKEN_KEK_PKCS11_PIN: 'TOKEN_KEK=pkcs11: user PIN (or give TOKEN_KEK_PKCS11_PIN_FILE)',
  TOKEN_KEK_PKCS11_PIN_FILE: 'TOKEN_KEK=pkcs11: file holding the user PIN',
  TOKEN_KEK_PKCS11_KEY_LABEL:
    'TOKEN_KEK=pkcs11: label of the AES-256 key in the token that wraps new data keys',
  TOKEN_DEK_MAX_USES:
    'encryptions under one data key before a new one takes over automatically (GCM allows 2^32)',
  TOKEN_KEY_LEASE_SECONDS:
    'how long a replica uses a claimed nonce block, and how long a new data key waits before use; the same on every replica and the CLI',
  PROXY_TIMEOUT_MS:
    'deadline of one proxied call (ANY /v1/connections/{id}/proxy/…), retries included; past it 504',
  PROXY_MAX_ATTEMPTS:
    'upstream requests per proxied call at most (retries and the one after a 401 included)',
  PROXY_BODY_LIMIT_BYTES: 'largest proxied request body; larger is 413',
} as const;

export type ConfigVariable = keyof typeof CONFIG_DOCS;

/**
 * The documented default (markdown) of every variable the schema leaves optional, where
 * the value is derived at start-up rather than given by the schema. Variables with a
 * schema `.default()` are documented from the schema itself (`npm run docs:config`).
 */
export const CONFIG_DEFAULT_NOTES: Partial<Record<ConfigVariable, string>> = {
  PUBLIC_URL: '`http://localhost:${PORT}`',
  DATABASE_URL: 'embedded',
  TOKEN_ENCRYPTION_KEYS: 'generated under `DATA_DIR`',
  ADMIN_API_TOKEN: 'generated, printed once',
  WEBHOOK_ALLOW_PRIVATE_URLS: '`false` in production, `true` otherwise',
  PROVIDER_TEMPLATES_FILE: 'unset: built-in templates only',
  PROVIDER_ALLOW_PRIVATE_URLS: '`false` in production, `true` otherwise',
  TOKEN_KEK_PKCS11_MODULE: 'unset',
  TOKEN_KEK_PKCS11_SLOT: 'unset',
  TOKEN_KEK_PKCS11_TOKEN_LABEL: 'unset',
  TOKEN_KEK_PKCS11_PIN: 'unset',
  TOKEN_KEK_PKCS11_PIN_FILE: 'unset',
  TOKEN_KEK_PKCS11_KEY_LABEL: 'unset',
};

/** Variables `NODE_ENV=production` refuses to start without. */
export const PRODUCTION_REQUIRED: readonly ConfigVariable[] = [
  'DATABASE_URL',
  'TOKEN_ENCRYPTION_KEYS',
  'ADMIN_API_TOKEN',
  'PUBLIC_URL',
];

const KID = /^[A-Za-z0-9_.-]{1,64}$/;

const encryptionKeys = z.string().transform((value, ctx) => {
  const keys: { kid: string; key: Buffer }[] = [];
  for (const entry of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = entry.indexOf(':');
    const kid = entry.slice(0, at);
    const key = Buffer.from(entry.slice(at + 1), 'base64');
    if (at < 1 || !KID.test(kid) || key.length !== 32) {
      ctx.addIssue({ code: 'custom', message: 'entries must be kid:base64 of 32 bytes' });
      return z.NEVER;
    }
    if (keys.some((k) => k.kid === kid)) {
      ctx.addIssue({ code: 'custom', message: `key id "${kid}" appears twice` });
      return z.NEVER;
    }
    keys.push({ kid, key });
  }
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'needs at least one kid:base64 entry' });
    return z.NEVER;
  }
  return keys;
});

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const positiveInt = (max: number) => wholeNumber(1, max);

const nonNegativeInt = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(0).max(max));

const trueOrFalse = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .transform((v) => v === 'true');

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z
    .string()
    .regex(/^\d+$/, 'must be a port number')
    .transform(Number)
    .pipe(z.number().int().min(0).max(65535))
    .default(3000),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  TOKEN_ENCRYPTION_KEYS: encryptionKeys.optional(),
  ADMIN_API_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  REFRESH_CRON: z
    .string()
    .refine((v) => v === 'off' || cron.validate(v), 'must be a node-cron expression or "off"')
    .default('*/30 * * * * *'),
  REFRESH_WINDOW_SECONDS: positiveInt(86_400).default(300),
  REFRESH_CONCURRENCY: positiveInt(256).default(8),
  REFRESH_PROVIDER_CONCURRENCY: positiveInt(256).default(4),
  REFRESH_KEEPALIVE_DAYS: wholeNumber(0, 3650).default(7),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  DATA_DIR: z.string().min(1).default('.data'),
  BODY_LIMIT_BYTES: positiveInt(10 * 1024 * 1024).default(64 * 1024),
  RATE_LIMIT_TOKEN_PER_MINUTE: nonNegativeInt(1_000_000).default(600),
  RATE_LIMIT_CONNECT_PER_MINUTE: nonNegativeInt(1_000_000).default(120),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: nonNegativeInt(1_000_000).default(100),
  RATE_LIMIT_PROVIDER_WEBHOOKS_PER_MINUTE: nonNegativeInt(1_000_000).default(1200),
  // Defaulted in loadConfig: false in production, true elsewhere.
  WEBHOOK_ALLOW_PRIVATE_URLS: trueOrFalse.optional(),
  PROVIDER_TEMPLATES_FILE: z.string().min(1).max(4096).optional(),
  TRUST_PROXY: nonNegativeInt(16).default(0),
  AUDIT_FAIL_CLOSED: trueOrFalse.default(false),
  // Defaulted in loadConfig: false in production, true elsewhere.
  PROVIDER_ALLOW_PRIVATE_URLS: trueOrFalse.optional(),
  WEBHOOK_RETENTION_DAYS: positiveInt(3650).default(30),
  DATABASE_POOL_SIZE: wholeNumber(2, 1000).default(10),
  DATABASE_PROVIDER_POOL_SIZE: wholeNumber(1, 1000).default(4),
  FORCED_REFRESH_INTERVAL_SECONDS: nonNegativeInt(86_400).default(10),
  TOKEN_KEK: z.enum(['env', 'pkcs11']).default('env'),
  TOKEN_KEK_PKCS11_MODULE: z.string().min(1).max(4096).optional(),
  TOKEN_KEK_PKCS11_SLOT: nonNegativeInt(Number.MAX_SAFE_INTEGER).optional(),
  TOKEN_KEK_PKCS11_TOKEN_LABEL: z.string().min(1).max(32).optional(),
  TOKEN_KEK_PKCS11_PIN: z.string().min(1).max(256).optional(),
  TOKEN_KEK_PKCS11_PIN_FILE: z.string().min(1).max(4096).optional(),
  TOKEN_KEK_PKCS11_KEY_LABEL: z.string().min(1).max(256).optional(),
  // A sixteenth of GCM's 2^32: about four days of writes at the planned scale (docs/PERFORMANCE.md).
  TOKEN_DEK_MAX_USES: wholeNumber(16, 2 ** 31).default(2 ** 28),
  TOKEN_KEY_LEASE_SECONDS: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number of seconds')
    .transform(Number)
    .pipe(z.number().min(0.1).max(3600))
    .default(60),
  PROXY_TIMEOUT_MS: wholeNumber(100, 600_000).default(30_000),
  PROXY_MAX_ATTEMPTS: wholeNumber(1, 10).default(3),
  PROXY_BODY_LIMIT_BYTES: positiveInt(1024 * 1024 * 1024).default(10 * 1024 * 1024),
});

/** Variables whose values must never be echoed in an error message. */
export const SECRET_VARIABLES: ReadonlySet<ConfigVariable> = new Set([
  'TOKEN_ENCRYPTION_KEYS',
  'ADMIN_API_TOKEN',
  'DATABASE_URL',
  'TOKEN_KEK_PKCS11_PIN',
]);
