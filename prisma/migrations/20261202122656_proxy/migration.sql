-- The authenticated proxy (ANY /v1/connections/{id}/proxy/{path}): the provider's API base
-- URL, and the rate-limit memory every replica shares. A scope is `c:<connection id>` for a
-- per-user quota or `p:<provider key>` for a per-app one; each write is announced on
-- token_broker_proxy_rate_limit so the other replicas stop calling within the feed's 1 s.

-- AlterTable
ALTER TABLE "providers" ADD COLUMN "api_base_url" TEXT;

-- CreateTable
CREATE TABLE "proxy_rate_limits" (
    "scope" TEXT NOT NULL,
    "provider_key" TEXT NOT NULL,
    "blocked_until" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "proxy_rate_limits_pkey" PRIMARY KEY ("scope")
);

-- CreateTrigger
CREATE TRIGGER "proxy_rate_limits_notify" AFTER INSERT OR UPDATE ON "proxy_rate_limits" FOR EACH ROW
    EXECUTE FUNCTION "token_broker_notify"('token_broker_proxy_rate_limit', 'scope');
