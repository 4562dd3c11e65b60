-- Cache invalidation across replicas: every change a token read or a service credential
-- check depends on is announced with NOTIFY (channel, id) inside the writing transaction,
-- whoever writes it (read path, refresher, connect flow, revocation, admin, key rotation).

-- CreateFunction
CREATE FUNCTION "token_broker_notify"() RETURNS trigger AS $$
DECLARE
    changed RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    PERFORM pg_notify(TG_ARGV[0], to_jsonb(changed) ->> TG_ARGV[1]);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- CreateTrigger
CREATE TRIGGER "connections_notify_update" AFTER UPDATE ON "connections" FOR EACH ROW
    WHEN (OLD."status" IS DISTINCT FROM NEW."status"
        OR OLD."scopes" IS DISTINCT FROM NEW."scopes"
        OR OLD."provider_key" IS DISTINCT FROM NEW."provider_key"
        OR OLD."subject" IS DISTINCT FROM NEW."subject")
    EXECUTE FUNCTION "token_broker_notify"('token_broker_connection', 'id');

-- CreateTrigger
CREATE TRIGGER "connections_notify_delete" AFTER DELETE ON "connections" FOR EACH ROW
    EXECUTE FUNCTION "token_broker_notify"('token_broker_connection', 'id');

-- CreateTrigger
CREATE TRIGGER "token_sets_notify" AFTER INSERT OR UPDATE OR DELETE ON "token_sets" FOR EACH ROW
    EXECUTE FUNCTION "token_broker_notify"('token_broker_connection', 'connection_id');

-- CreateTrigger
CREATE TRIGGER "services_notify" AFTER UPDATE OR DELETE ON "services" FOR EACH ROW
    EXECUTE FUNCTION "token_broker_notify"('token_broker_service', 'id');

-- CreateTrigger
CREATE TRIGGER "service_api_keys_notify" AFTER INSERT OR DELETE OR UPDATE OF "hash", "service_id" ON "service_api_keys" FOR EACH ROW
    EXECUTE FUNCTION "token_broker_notify"('token_broker_service', 'service_id');
