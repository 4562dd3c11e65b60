-- A provider refusing the broker's own client (invalid_client / unauthorized_client) is a
-- configuration fault, not the users' grants: the provider is marked, its connections stay
-- active, and refreshes probe it at most once per probe interval until it works or is PUT.
ALTER TABLE "providers" ADD COLUMN "status" TEXT NOT NULL DEFAULT 'active';
ALTER TABLE "providers" ADD COLUMN "status_reason" TEXT;
ALTER TABLE "providers" ADD COLUMN "status_since" TIMESTAMPTZ(3);
ALTER TABLE "providers" ADD COLUMN "probe_at" TIMESTAMPTZ(3);
