-- Client-secret rotation with an overlap: the replaced secret's hash is kept beside the new
-- one until its expiry (POST /admin/services/{id}/client-secret), so callers can move over.
ALTER TABLE "services" ADD COLUMN "previous_client_secret_hash" BYTEA,
  ADD COLUMN "previous_client_secret_expires_at" TIMESTAMPTZ(3);
