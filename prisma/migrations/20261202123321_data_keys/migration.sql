-- Envelope encryption: fields are sealed under data keys (DEKs) that are stored only wrapped
-- by a key encryption key (KEK) from TOKEN_ENCRYPTION_KEYS or an HSM. Each DEK hands out GCM
-- nonces from one counter, claimed by replicas in blocks, so no nonce repeats and the count
-- of uses is exact enough to replace the key long before the GCM limit.
CREATE TABLE "data_keys" (
    "id" SERIAL NOT NULL,
    "kek_kind" TEXT NOT NULL,
    "kek_id" TEXT NOT NULL,
    "wrapped" BYTEA,
    "nonce_next" BIGINT NOT NULL DEFAULT 0,
    "nonce_limit" BIGINT NOT NULL,
    "origin" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "usable_at" TIMESTAMPTZ(3) NOT NULL,
    "retired_at" TIMESTAMPTZ(3),

    CONSTRAINT "data_keys_pkey" PRIMARY KEY ("id")
);
