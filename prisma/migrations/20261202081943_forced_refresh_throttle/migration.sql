-- The last forced refresh of a connection (POST /v1/connections/{id}/refresh): at most one per
-- FORCED_REFRESH_INTERVAL_SECONDS, claimed by a conditional update shared by every replica.
ALTER TABLE "connections" ADD COLUMN "forced_refresh_at" TIMESTAMPTZ(3);
