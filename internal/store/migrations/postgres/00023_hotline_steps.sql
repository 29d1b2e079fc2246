-- +goose Up
-- A hotline order's department steps and callback (接诉即办): the lead
-- task's first contact (its limit, when and how), the order's answer, when
-- its callback is due, the callback's rating on the hotline scale and a
-- dissatisfied rating's pending review.
ALTER TABLE tasks ADD COLUMN contact_due BIGINT;
ALTER TABLE tasks ADD COLUMN contacted_at BIGINT;
ALTER TABLE tasks ADD COLUMN contact_method TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN answered_at BIGINT;
ALTER TABLE cases ADD COLUMN callback_due BIGINT;
ALTER TABLE cases ADD COLUMN rating TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN review TEXT NOT NULL DEFAULT '';
-- Orders already waiting for their callback are due since they closed;
-- earlier yes/no answers read as 满意 or 不满意.
UPDATE cases SET callback_due = closed_at
    WHERE state = 'closed' AND channel = 'hotline' AND reporter_phone <> '' AND satisfied IS NULL;
UPDATE cases SET rating = CASE WHEN satisfied THEN 'satisfied' ELSE 'dissatisfied' END WHERE satisfied IS NOT NULL;
-- The callback list (回访) by due time, and the reviews waiting.
DROP INDEX cases_callback;
CREATE INDEX cases_callback_due ON cases (callback_due) WHERE callback_due IS NOT NULL;
CREATE INDEX cases_review ON cases (id) WHERE review <> '';

-- +goose Down
DROP INDEX cases_review;
DROP INDEX cases_callback_due;
CREATE INDEX cases_callback ON cases (channel, state, satisfied, id, reporter_phone)
    WHERE state = 'closed' AND channel = 'hotline' AND reporter_phone <> '' AND satisfied IS NULL;
ALTER TABLE cases DROP COLUMN review;
ALTER TABLE cases DROP COLUMN rating;
ALTER TABLE cases DROP COLUMN callback_due;
ALTER TABLE cases DROP COLUMN answered_at;
ALTER TABLE tasks DROP COLUMN contact_method;
ALTER TABLE tasks DROP COLUMN contacted_at;
ALTER TABLE tasks DROP COLUMN contact_due;
