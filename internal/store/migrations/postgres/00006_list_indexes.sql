-- +goose Up
-- Case lists are newest first (ORDER BY id DESC) within a filter: these
-- indexes let a filtered page read just its rows instead of sorting every
-- case of a street (measured: 6.6 s → see BENCHMARKS.md at 1,000,000 cases).
CREATE INDEX cases_street_id ON cases (street, id);
CREATE INDEX cases_community_id ON cases (community, id);
CREATE INDEX cases_grid_id ON cases (grid, id);
CREATE INDEX cases_state_id ON cases (state, id);

-- +goose Down
DROP INDEX cases_state_id;
DROP INDEX cases_grid_id;
DROP INDEX cases_community_id;
DROP INDEX cases_street_id;
