import {
  configSchema,
  PRODUCTION_REQUIRED,
  SECRET_VARIABLES,
  type ConfigVariable,
} from './schema.js';
import type { Pkcs11Options } from '../vault/pkcs11-kek.js';

export interface EncryptionKey {
  kid: string;
  key: Buffer;
}

/** The broker's configuration, parsed once at start-up. Nothing else reads `process.env`. */
export interface Config {
  nodeEnv: 'development' | 'test' | 'production';
  port: number;
  /** Explicit PUBLIC_URL, or undefined to derive it from the bound port. */
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  encryptionKeys: EncryptionKey[] | undefined;
  adminApiToken: string | undefined;
  refreshCron: string;
  refreshWindowSeconds: number;
  refreshConcurrency: number;
  /** Refreshes in flight per provider on one replica. */
  refreshProviderConcurrency: number;
  /** Days after which an unused refresh token is refreshed to keep it alive; 0 disables. */
  refreshKeepAliveDays: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  logFormat: 'auto' | 'json' | 'pretty';
  dataDir: string;
  bodyLimitBytes: number;
  /** Per-minute limits (0 disables): token endpoint, connect flow, failed authentication. */
  rateLimits: { tokenPerMinute: number; connectPerMinute: number; authFailuresPerMinute: number };
  /** `POST /webhooks/providers/{key}` requests a minute per provider; 0 disables. */
  providerWebhooksPerMinute: number;
  /** Whether webhook deliveries may reach loopback and private-range addresses. */
  webhookAllowPrivateUrls: boolean;
  /** Extra provider templates loaded at start (docs/PROVIDERS.md). */
  providerTemplatesFile: string | undefined;
  /** Reverse-proxy hops whose `X-Forwarded-For` entries are believed. */
  trustProxy: number;
  /** Token reads answer 503 while audit entries cannot be written. */
  auditFailClosed: boolean;
  /** Whether provider endpoints may be plain http or private-range addresses. */
  providerAllowPrivateUrls: boolean;
  /** Days webhook events and deliveries are kept. */
  webhookRetentionDays: number;
  /** Connections in this replica's Postgres pool. */
  databasePoolSize: number;
  /** Connections of the pool for transactions that wait on a provider. */
  databaseProviderPoolSize: number;
  /** Least seconds between two forced refreshes of one connection; 0 disables the limit. */
  forcedRefreshIntervalSeconds: number;
  /** The key encryption key of the data keys (src/vault). */
  kek: { kind: 'env' } | ({ kind: 'pkcs11' } & Pkcs11Options);
  /** Encryptions under one data key before the next takes over. */
  dekMaxUses: number;
  /** Nonce block lifetime and new-DEK delay, in seconds. */
  keyLeaseSeconds: number;
  /** The proxy: deadline per call, upstream requests per call, largest request body. */
  proxy: { timeoutMs: number; maxAttempts: number; bodyLimitBytes: number };
}

/** Thrown for a bad environment; its message is one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses and validates the environment.
 *
 * @throws ConfigError naming the first bad variable, e.g.
 *   `REFRESH_CONCURRENCY must be a whole number (got "abc")`.
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in configSchema.shape && v !== undefined && v !== ''),
  );
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment') as ConfigVariable;
    const raw = present[variable];
    const shown = SECRET_VARIABLES.has(variable) || raw === undefined ? '' : ` (got "${raw}")`;
    throw new ConfigError(variable, `${variable} ${issue?.message ?? 'is invalid'}${shown}`);
  }
  const c = parsed.data;
  const config: Config = {
    nodeEnv: c.NODE_ENV,
    port: c.PORT,
    publicUrl: c.PUBLIC_URL,
    databaseUrl: c.DATABASE_URL,
    encryptionKeys: c.TOKEN_ENCRYPTION_KEYS,
    adminApiToken: c.ADMIN_API_TOKEN,
    refreshCron: c.REFRESH_CRON,
    refreshWindowSeconds: c.REFRESH_WINDOW_SECONDS,
    refreshConcurrency: c.REFRESH_CONCURRENCY,
    refreshProviderConcurrency: c.REFRESH_PROVIDER_CONCURRENCY,
    refreshKeepAliveDays: c.REFRESH_KEEPALIVE_DAYS,
    logLevel: c.LOG_LEVEL,
    logFormat: c.LOG_FORMAT,
    dataDir: c.DATA_DIR,
    bodyLimitBytes: c.BODY_LIMIT_BYTES,
    rateLimits: {
      tokenPerMinute: c.RATE_LIMIT_TOKEN_PER_MINUTE,
      connectPerMinute: c.RATE_LIMIT_CONNECT_PER_MINUTE,
      authFailuresPerMinute: c.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
    },
    providerWebhooksPerMinute: c.RATE_LIMIT_PROVIDER_WEBHOOKS_PER_MINUTE,
    webhookAllowPrivateUrls: c.WEBHOOK_ALLOW_PRIVATE_URLS ?? c.NODE_ENV !== 'production',
    providerTemplatesFile: c.PROVIDER_TEMPLATES_FILE,
    trustProxy: c.TRUST_PROXY,
    auditFailClosed: c.AUDIT_FAIL_CLOSED,
    providerAllowPrivateUrls: c.PROVIDER_ALLOW_PRIVATE_URLS ?? c.NODE_ENV !== 'production',
    webhookRetentionDays: c.WEBHOOK_RETENTION_DAYS,
    databasePoolSize: c.DATABASE_POOL_SIZE,
    databaseProviderPoolSize: c.DATABASE_PROVIDER_POOL_SIZE,
    forcedRefreshIntervalSeconds: c.FORCED_REFRESH_INTERVAL_SECONDS,
    kek: kekConfig(c),
    dekMaxUses: c.TOKEN_DEK_MAX_USES,
    keyLeaseSeconds: c.TOKEN_KEY_LEASE_SECONDS,
    proxy: {
      timeoutMs: c.PROXY_TIMEOUT_MS,
      maxAttempts: c.PROXY_MAX_ATTEMPTS,
      bodyLimitBytes: c.PROXY_BODY_LIMIT_BYTES,
    },
  };
  if (config.nodeEnv === 'production') {
    for (const variable of PRODUCTION_REQUIRED) {
      if (c[variable] === undefined) {
        throw new ConfigError(variable, `${variable} is required when NODE_ENV=production`);
      }
    }
    // Cookies are Secure and callbacks carry codes: plain http is for local work only.
    if (!config.publicUrl?.startsWith('https://')) {
      throw new ConfigError('PUBLIC_URL', 'PUBLIC_URL must be https when NODE_ENV=production');
    }
  }
  return config;
}

/** Configuration once development secrets and the database are resolved (see `bootstrap`). */
export interface ResolvedConfig extends Config {
  publicUrl: string;
  databaseUrl: string;
  encryptionKeys: EncryptionKey[];
  adminApiToken: string;
}

function kekConfig(c: ReturnType<typeof configSchema.parse>): Config['kek'] {
  if (c.TOKEN_KEK === 'env') return { kind: 'env' };
  const need = (variable: ConfigVariable, ok: boolean, what: string) => {
    if (!ok) throw new ConfigError(variable, `${variable} ${what} when TOKEN_KEK=pkcs11`);
  };
  need('TOKEN_KEK_PKCS11_MODULE', c.TOKEN_KEK_PKCS11_MODULE !== undefined, 'is required');
  need('TOKEN_KEK_PKCS11_KEY_LABEL', c.TOKEN_KEK_PKCS11_KEY_LABEL !== undefined, 'is required');
  need(
    'TOKEN_KEK_PKCS11_SLOT',
    (c.TOKEN_KEK_PKCS11_SLOT === undefined) !== (c.TOKEN_KEK_PKCS11_TOKEN_LABEL === undefined),
    'or TOKEN_KEK_PKCS11_TOKEN_LABEL (one of them) is required',
  );
  need(
    'TOKEN_KEK_PKCS11_PIN',
    (c.TOKEN_KEK_PKCS11_PIN === undefined) !== (c.TOKEN_KEK_PKCS11_PIN_FILE === undefined),
    'or TOKEN_KEK_PKCS11_PIN_FILE (one of them) is required',
  );
  return {
    kind: 'pkcs11',
    module: c.TOKEN_KEK_PKCS11_MODULE as string,
    slot: c.TOKEN_KEK_PKCS11_SLOT,
    tokenLabel: c.TOKEN_KEK_PKCS11_TOKEN_LABEL,
    pin: c.TOKEN_KEK_PKCS11_PIN,
    pinFile: c.TOKEN_KEK_PKCS11_PIN_FILE,
    keyLabel: c.TOKEN_KEK_PKCS11_KEY_LABEL as string,
  };
}
