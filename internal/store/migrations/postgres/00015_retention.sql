-- +goose Up
-- Retention prunes what only grows (see watch.Pruner): these indexes let
-- each prune find its old rows without reading the whole table.
CREATE INDEX notifications_read ON notifications (read_at) WHERE read_at IS NOT NULL;
CREATE INDEX deliveries_outbox ON deliveries (outbox_id);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- +goose Down
DROP INDEX sessions_expires;
DROP INDEX audit_log_at;
DROP INDEX idempotency_keys_created;
DROP INDEX deliveries_outbox;
DROP INDEX notifications_read;
