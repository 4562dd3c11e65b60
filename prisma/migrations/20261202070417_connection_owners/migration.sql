-- Connections belong to the service that created them (issue 16): `(service_id, provider,
-- subject)` replaces `(provider, subject)`, services gain `display_name` and
-- `connection_access`, connect sessions gain the picker, reconnect, app handshake and popup.

-- Services
ALTER TABLE "services" ADD COLUMN "display_name" TEXT;
ALTER TABLE "services" ADD COLUMN "connection_access" TEXT NOT NULL DEFAULT 'own';

-- Connections: the owner. Nullable only for rows this migration cannot attribute (below)
-- and for those of a deleted service; every write path sets it.
ALTER TABLE "connections" ADD COLUMN "service_id" TEXT;

-- Attribution, strongest evidence first; each step only fills owners still unknown and only
-- names services that still exist.
-- 1. The audit log's latest successful `connection.create` by a service: its grant is the
--    one the connection holds now (when two services wrote one row, the last writer's user
--    is the one whose tokens are in it).
UPDATE "connections" c SET "service_id" = a."actor_id"
FROM (
    SELECT DISTINCT ON ("connection_id") "connection_id", "actor_id"
    FROM "audit_events"
    WHERE "action" = 'connection.create' AND "actor_type" = 'service' AND "outcome" = 'success'
      AND "connection_id" IS NOT NULL AND "actor_id" IS NOT NULL
    ORDER BY "connection_id", "at" DESC, "id" DESC
) a
WHERE c."id" = a."connection_id" AND c."service_id" IS NULL
  AND EXISTS (SELECT 1 FROM "services" s WHERE s."id" = a."actor_id");

-- 2. The latest completed device session that produced it.
UPDATE "connections" c SET "service_id" = d."service_id"
FROM (
    SELECT DISTINCT ON ("connection_id") "connection_id", "service_id"
    FROM "device_sessions"
    WHERE "status" = 'completed' AND "connection_id" IS NOT NULL
    ORDER BY "connection_id", "updated_at" DESC
) d
WHERE c."id" = d."connection_id" AND c."service_id" IS NULL;

-- 3. The latest connect session for the same (provider, subject) whose consent flow reached
--    the callback (its flow was consumed) no later than the connection was last written.
UPDATE "connections" c SET "service_id" = cs."service_id"
FROM (
    SELECT DISTINCT ON (s."provider_key", s."subject") s."provider_key", s."subject", s."service_id", f."consumed_at"
    FROM "connect_sessions" s JOIN "oauth_flows" f ON f."connect_session_id" = s."id"
    WHERE f."consumed_at" IS NOT NULL
    ORDER BY s."provider_key", s."subject", f."consumed_at" DESC
) cs
WHERE c."provider_key" = cs."provider_key" AND c."subject" = cs."subject"
  AND cs."consumed_at" <= c."updated_at" AND c."service_id" IS NULL;

-- 4. The one service that has read, refreshed or proxied it (audit), when exactly one has.
UPDATE "connections" c SET "service_id" = a."actor_id"
FROM (
    SELECT "connection_id", min("actor_id") AS "actor_id"
    FROM "audit_events"
    WHERE "actor_type" = 'service' AND "connection_id" IS NOT NULL AND "actor_id" IS NOT NULL
    GROUP BY "connection_id"
    HAVING count(DISTINCT "actor_id") = 1
) a
WHERE c."id" = a."connection_id" AND c."service_id" IS NULL
  AND EXISTS (SELECT 1 FROM "services" s WHERE s."id" = a."actor_id");

-- 5. The one service whose policy allows the provider, when exactly one does: no other
--    service could have created it through the API.
UPDATE "connections" c SET "service_id" = p."service_id"
FROM (
    SELECT u."provider_key", min(u."id") AS "service_id"
    FROM (SELECT "id", unnest("allowed_providers") AS "provider_key" FROM "services") u
    GROUP BY u."provider_key"
    HAVING count(*) = 1
) p
WHERE c."provider_key" = p."provider_key" AND c."service_id" IS NULL;

-- Whatever is left stays unowned (service_id NULL): no `own` service sees it; the admin API
-- and console list it (filter `service_id` to find owned ones), services with
-- `connection_access: "provider"` still reach it, and an operator revokes it or assigns it
-- with UPDATE connections SET service_id = … WHERE id = …. The count is in the notice.
DO $$
DECLARE unowned integer;
BEGIN
    SELECT count(*) INTO unowned FROM "connections" WHERE "service_id" IS NULL;
    IF unowned > 0 THEN
        RAISE NOTICE 'connection_owners: % connection(s) could not be attributed to a service and stay unowned (service_id NULL)', unowned;
    END IF;
END $$;

DROP INDEX "connections_provider_key_subject_key";
CREATE UNIQUE INDEX "connections_service_id_provider_key_subject_key" ON "connections"("service_id", "provider_key", "subject");
ALTER TABLE "connections" ADD CONSTRAINT "connections_service_id_fkey" FOREIGN KEY ("service_id") REFERENCES "services"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Connect sessions: no provider yet (the picker), the connection a reconnect replaces, the
-- app handshake (code_challenge; the code's SHA-256 and the grant held until `complete`),
-- how the flow ends (popup), and when it reached the callback.
ALTER TABLE "connect_sessions" ALTER COLUMN "provider_key" DROP NOT NULL;
ALTER TABLE "connect_sessions" ADD COLUMN "connection_id" TEXT;
ALTER TABLE "connect_sessions" ADD COLUMN "code_challenge" TEXT;
ALTER TABLE "connect_sessions" ADD COLUMN "display" TEXT;
ALTER TABLE "connect_sessions" ADD COLUMN "finished_at" TIMESTAMPTZ(3);
ALTER TABLE "connect_sessions" ADD COLUMN "code_hash" BYTEA;
ALTER TABLE "connect_sessions" ADD COLUMN "held_grant" BYTEA;
ALTER TABLE "connect_sessions" ADD COLUMN "held_key_id" TEXT;
ALTER TABLE "connect_sessions" ADD COLUMN "held_until" TIMESTAMPTZ(3);
ALTER TABLE "connect_sessions" ADD COLUMN "completed_at" TIMESTAMPTZ(3);
CREATE INDEX "connect_sessions_held_until_idx" ON "connect_sessions"("held_until");

-- Providers: how users give credentials (`oauth2`, or the static `api_key` / `basic` form).
ALTER TABLE "providers" ADD COLUMN "auth_mode" TEXT NOT NULL DEFAULT 'oauth2';
