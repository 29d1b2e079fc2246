-- +goose Up
-- The cases each uploaded photo is evidence on (read from the events that
-- name it), so a photo's original, EXIF GPS included, can be served only
-- to staff who may see one of those cases.
CREATE TABLE photo_refs (
    photo_id TEXT NOT NULL,
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    PRIMARY KEY (photo_id, case_id)
);
INSERT INTO photo_refs (photo_id, case_id)
SELECT DISTINCT j.value, e.case_id FROM events e, json_each(e.data, '$.photos') j
WHERE e.data LIKE '%"photos"%';

-- +goose Down
DROP TABLE photo_refs;
