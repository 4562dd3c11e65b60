-- CreateTable
CREATE TABLE "console_sign_outs" (
    "nonce" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "console_sign_outs_pkey" PRIMARY KEY ("nonce")
);

-- CreateIndex
CREATE INDEX "console_sign_outs_expires_at_idx" ON "console_sign_outs"("expires_at");
