-- +goose Up
-- The review (复核) of a 不满意 has its own time limit, from the callback.
ALTER TABLE cases ADD COLUMN review_due BIGINT;

-- +goose Down
ALTER TABLE cases DROP COLUMN review_due;
