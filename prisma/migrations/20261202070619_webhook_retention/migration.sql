-- Housekeeping deletes webhook history older than WEBHOOK_RETENTION_DAYS in batches.
CREATE INDEX "webhook_deliveries_updated_at_idx" ON "webhook_deliveries"("updated_at");
CREATE INDEX "webhook_events_created_at_idx" ON "webhook_events"("created_at");
