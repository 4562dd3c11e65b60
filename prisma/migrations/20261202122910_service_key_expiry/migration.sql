-- Key rotation with an overlap: a service may hold several API keys at once, each with an
-- optional expiry after which it is refused (POST /admin/services/{id}/keys).
ALTER TABLE "service_api_keys" ADD COLUMN "expires_at" TIMESTAMPTZ(3);
