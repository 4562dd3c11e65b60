-- Every audit entry says which request and client IP it came from, and holds its place in a
-- hash chain (seq, the previous row's hash, its own): `token-broker audit verify`.
ALTER TABLE "audit_events" ADD COLUMN "request_id" TEXT,
ADD COLUMN "client_ip" TEXT,
ADD COLUMN "seq" BIGINT,
ADD COLUMN "prev_hash" BYTEA,
ADD COLUMN "hash" BYTEA;

-- CreateIndex
CREATE UNIQUE INDEX "audit_events_seq_key" ON "audit_events"("seq");
