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
export const presentService = (s: ServiceRow) => ({
  id: s.id,
  name: s.name,
  display_name: s.displayName,
  allowed_providers: s.allowedProviders,
  allowed_return_to: s.allowedReturnTo,
  connection_access: s.connectionAccess,
  client_id: s.clientId,
  jwks: s.jwks ?? null,
  created_at: s.createdAt.toISOString(),
});

/** The answer of `POST /admin/services/{id}/client-secret`: the only time the secret is shown. */
export const presentRotatedClientSecret = (r: {
  clientId: string;
  clientSecret: string;
  previousExpiresAt: Date | null;
}) => ({
  client_id: r.clientId,
  client_secret: r.clientSecret,
  previous_expires_at: r.previousExpiresAt?.toISOString() ?? null,
});
