import { z } from 'zod';
import { timestamp } from '../validate.js';
import type { ApiKeyRow } from './api-keys.js';
import { CONNECTION_ACCESS, type ConnectionAccess } from './service-store.js';

interface ServiceRow {
  id: string;
  name: string;
  displayName: string | null;
  allowedProviders: string[];
  allowedReturnTo: string[];
  connectionAccess: string;
  clientId: string;
  jwks: unknown;
  createdAt: Date;
}

/** A service as the admin API shows it: never a secret. */
export const serviceSchema = z.object({
  id: z.string(),
  name: z.string(),
  display_name: z.string().nullable().describe('what end users read on the connect page'),
  allowed_providers: z.array(z.string()),
  allowed_return_to: z.array(z.string()),
  connection_access: z
    .enum(CONNECTION_ACCESS)
    .describe(
      'own: only the connections this service created; provider: every connection of its allowed providers',
    ),
  client_id: z.string(),
  jwks: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('public keys for private_key_jwt at /oauth/token'),
  created_at: timestamp,
});

/** `POST /admin/services`' answer: the only time its API key and client secret are shown. */
export const createdServiceSchema = serviceSchema.extend({
  api_key: z.string(),
  client_secret: z.string(),
});

/** An API key as the admin API lists it: its id (the key's non-secret part), never the key. */
export const apiKeySchema = z.object({
  id: z.string().describe("the key's non-secret part (tbk_<id>_…)"),
  created_at: timestamp,
  expires_at: timestamp.nullable(),
  last_used_at: timestamp.nullable().describe('written at most ~30 s late'),
});

/** `POST /admin/services/{id}/keys`' answer: the only time the key is shown. */
export const createdApiKeySchema = apiKeySchema.omit({ last_used_at: true }).extend({
  api_key: z.string(),
});

/** `POST /admin/services/{id}/client-secret`' answer: the only time the new secret is shown. */
export const rotatedClientSecretSchema = z.object({
  client_id: z.string(),
  client_secret: z.string(),
  previous_expires_at: timestamp
    .nullable()
    .describe('until then the replaced secret works too; null: it stopped at once'),
});

type PresentedService = z.output<typeof serviceSchema>;

/** @example res.json(presentService(service)) */
export const presentService = (s: ServiceRow): PresentedService => ({
  id: s.id,
  name: s.name,
  display_name: s.displayName,
  allowed_providers: s.allowedProviders,
  allowed_return_to: s.allowedReturnTo,
  // The column holds only these (the body schemas allow nothing else).
  connection_access: s.connectionAccess as ConnectionAccess,
  client_id: s.clientId,
  jwks: (s.jwks as PresentedService['jwks'] | undefined) ?? null,
  created_at: s.createdAt.toISOString(),
});

/** @example res.status(201).json(presentCreatedService(service, apiKey, clientSecret)) */
export const presentCreatedService = (
  s: ServiceRow,
  apiKey: string,
  clientSecret: string,
): z.output<typeof createdServiceSchema> => ({
  ...presentService(s),
  api_key: apiKey,
  client_secret: clientSecret,
});

/** The admin API's shape of an API key. */
export const presentApiKey = (k: ApiKeyRow): z.output<typeof apiKeySchema> => ({
  id: k.id,
  created_at: k.createdAt.toISOString(),
  expires_at: k.expiresAt?.toISOString() ?? null,
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
});

/** @example res.status(201).json(presentCreatedApiKey(row, apiKey)) */
export const presentCreatedApiKey = (
  k: ApiKeyRow,
  apiKey: string,
): z.output<typeof createdApiKeySchema> => ({
  id: k.id,
  api_key: apiKey,
  created_at: k.createdAt.toISOString(),
  expires_at: k.expiresAt?.toISOString() ?? null,
});

/** The answer of `POST /admin/services/{id}/client-secret`: the only time the secret is shown. */
export const presentRotatedClientSecret = (r: {
  clientId: string;
  clientSecret: string;
  previousExpiresAt: Date | null;
}): z.output<typeof rotatedClientSecretSchema> => ({
  client_id: r.clientId,
  client_secret: r.clientSecret,
  previous_expires_at: r.previousExpiresAt?.toISOString() ?? null,
});
