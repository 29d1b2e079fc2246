-- +goose Up
-- The operators' callback list (回访): closed hotline orders with a
-- caller's phone and no answer yet, found without reading the closed cases.
CREATE INDEX cases_callback ON cases (id) WHERE state = 'closed' AND channel = 'hotline' AND reporter_phone <> '' AND satisfied IS NULL;

-- +goose Down
DROP INDEX cases_callback;
