-- Inbound provider webhooks: the provider's webhook secret (encrypted, rotated with an
-- overlap, plus the per-webhook secrets learned in Asana handshakes), the dedupe record of
-- each received delivery, and provider.webhook payloads stored encrypted in the outbox.

-- AlterTable
ALTER TABLE "providers" ADD COLUMN "webhook_key_id" TEXT,
ADD COLUMN "webhook_secret" BYTEA,
ADD COLUMN "previous_webhook_secret" BYTEA,
ADD COLUMN "previous_webhook_secret_expires_at" TIMESTAMPTZ(3),
ADD COLUMN "webhook_learned_secrets" BYTEA;

-- AlterTable
ALTER TABLE "webhook_events" ADD COLUMN "key_id" TEXT,
ADD COLUMN "sealed_payload" BYTEA;

-- CreateTable
CREATE TABLE "provider_webhook_receipts" (
    "provider_key" TEXT NOT NULL,
    "delivery_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "provider_webhook_receipts_pkey" PRIMARY KEY ("provider_key","delivery_id")
);

-- CreateIndex
CREATE INDEX "provider_webhook_receipts_received_at_idx" ON "provider_webhook_receipts"("received_at");
