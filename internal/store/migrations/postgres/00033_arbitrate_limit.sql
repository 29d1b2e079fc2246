-- +goose Up
-- The arbitration of a disputed return (派单争议) has its own time limit,
-- from the dispute. A database whose time-limit table is already filled
-- gets the default row (2 working days); an empty table is filled by
-- whoever fills it (the demo, or Admin → time limits).
INSERT INTO time_limits (scope, urgency, step, amount, unit, note)
    SELECT '*', '', 'arbitrate', 2, 'working_days', '派单争议仲裁'
    WHERE EXISTS (SELECT 1 FROM time_limits) AND NOT EXISTS (SELECT 1 FROM time_limits WHERE step = 'arbitrate');

-- +goose Down
DELETE FROM time_limits WHERE step = 'arbitrate';
