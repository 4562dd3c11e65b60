-- RFC 9700 §4.4.2 mix-up defence for providers that do not send `iss` (RFC 9207):
-- such a provider may use its own redirect URI, ${PUBLIC_URL}/oauth/callback/{key}.
ALTER TABLE "providers" ADD COLUMN "distinct_redirect_uri" BOOLEAN NOT NULL DEFAULT false;
