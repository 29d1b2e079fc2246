-- +goose Up
-- Holiday files imported at run time (the State Council publishes next
-- year's in late autumn): they add to, or replace by year, the files built
-- into the binary.
CREATE TABLE holiday_files (
    year        INTEGER PRIMARY KEY,
    body        TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    imported_by TEXT NOT NULL
);

-- +goose Down
DROP TABLE holiday_files;
