interface ServiceRow {
  id: string;
  name: string;
  allowedProviders: string[];
  allowedReturnTo: string[];
  clientId: string;
  jwks: unknown;
  createdAt: Date;
}

/** A service as the admin API shows it: never a secret. */
export const presentService = (s: ServiceRow) => ({
  id: s.id,
  name: s.name,
  allowed_providers: s.allowedProviders,
  allowed_return_to: s.allowedReturnTo,
  client_id: s.clientId,
  jwks: s.jwks ?? null,
  created_at: s.createdAt.toISOString(),
});
