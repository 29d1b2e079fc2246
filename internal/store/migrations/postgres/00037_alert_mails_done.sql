-- +goose Up
-- Sent and parked alert mails are pruned by age (the matching pass keeps
-- 30 days of them; alert_cases alone keeps a case from being announced
-- twice).
CREATE INDEX alert_mails_done ON alert_mails (next_at) WHERE state <> 'pending';

-- +goose Down
DROP INDEX alert_mails_done;
