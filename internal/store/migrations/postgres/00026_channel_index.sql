-- +goose Up
-- The centre's search by channel (来源: 12345, a grid worker's patrol, a
-- resident on the site…), as by street: a channel's page of cases newest
-- first, and the count of a channel's report days, each read from an index
-- instead of walking every case (measured at 1,000,000 cases: a month of
-- 12345 cases counted in 0.03 s instead of 0.6–1 s; see BENCHMARKS.md).
CREATE INDEX cases_channel_id ON cases (channel, id);
CREATE INDEX cases_channel_reported ON cases (channel, reported_at);

-- +goose Down
DROP INDEX cases_channel_reported;
DROP INDEX cases_channel_id;
