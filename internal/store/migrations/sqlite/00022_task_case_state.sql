-- +goose Up
-- Each task carries its case's state, written with the case: a unit's
-- cases in one state (a department's desk, its waiting lists' counts) are
-- one index range of its tasks, not every task it ever had.
ALTER TABLE tasks ADD COLUMN case_state TEXT NOT NULL DEFAULT '';
UPDATE tasks SET case_state = (SELECT state FROM cases WHERE cases.id = tasks.case_id);
CREATE INDEX tasks_unit_case_state ON tasks (unit_id, case_state, case_id) WHERE state <> 'returned';
-- The callback list keyed by its own conditions and ordered by id, with
-- the phone: SQLite, which keeps no statistics here, preferred the state
-- index (every closed case) to the former (id) index, and counting or
-- listing the callbacks read every closed case.
DROP INDEX cases_callback;
CREATE INDEX cases_callback ON cases (channel, state, satisfied, id, reporter_phone)
    WHERE state = 'closed' AND channel = 'hotline' AND reporter_phone <> '' AND satisfied IS NULL;
-- A street's or a grid's open cases by state: the street handlers' and
-- grid workers' lists and counts, without reading every case of the
-- street's years.
CREATE INDEX cases_open_street ON cases (street, state, id) WHERE state NOT IN ('closed', 'voided');
CREATE INDEX cases_open_grid ON cases (grid, state, id) WHERE state NOT IN ('closed', 'voided');

-- +goose Down
DROP INDEX cases_open_grid;
DROP INDEX cases_open_street;
DROP INDEX cases_callback;
CREATE INDEX cases_callback ON cases (id) WHERE state = 'closed' AND channel = 'hotline' AND reporter_phone <> '' AND satisfied IS NULL;
DROP INDEX tasks_unit_case_state;
ALTER TABLE tasks DROP COLUMN case_state;
