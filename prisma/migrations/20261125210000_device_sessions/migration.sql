-- AlterTable
ALTER TABLE "connections" ADD COLUMN     "auth_type" TEXT NOT NULL DEFAULT 'oauth2';

-- CreateTable
CREATE TABLE "device_sessions" (
    "id" TEXT NOT NULL,
    "service_id" TEXT NOT NULL,
    "provider_key" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "key_id" TEXT NOT NULL,
    "device_code" BYTEA NOT NULL,
    "user_code" TEXT NOT NULL,
    "verification_uri" TEXT NOT NULL,
    "verification_uri_complete" TEXT,
    "interval_seconds" INTEGER NOT NULL DEFAULT 5,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "connection_id" TEXT,
    "error" TEXT,
    "next_poll_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "device_sessions_status_next_poll_at_idx" ON "device_sessions"("status", "next_poll_at");

-- AddForeignKey
ALTER TABLE "device_sessions" ADD CONSTRAINT "device_sessions_service_id_fkey" FOREIGN KEY ("service_id") REFERENCES "services"("id") ON DELETE CASCADE ON UPDATE CASCADE;
