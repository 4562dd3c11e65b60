-- AlterTable
ALTER TABLE "connections" ADD COLUMN     "upstream_revocation" TEXT,
ADD COLUMN     "revocation_attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "revocation_retry_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "connections_revocation_retry_at_idx" ON "connections"("revocation_retry_at");
