-- PostHog's person, distinct id and group tables as a single node creates them (plain
-- ReplacingMergeTree, no Kafka tables or materialised views), after posthog/models/person/sql.py
-- and posthog/models/group/sql.py. ${database} is replaced by the database name. Statements are
-- separated by a line holding only ";".

CREATE TABLE ${database}.person
(
    id UUID,
    created_at DateTime64,
    team_id Int64,
    properties VARCHAR,
    is_identified Int8,
    is_deleted Int8 DEFAULT 0,
    version UInt64,
    _timestamp DateTime,
    _offset UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (team_id, id)
;
CREATE TABLE ${database}.person_distinct_id2
(
    team_id Int64,
    distinct_id VARCHAR,
    person_id UUID,
    is_deleted Int8,
    version Int64 DEFAULT 1,
    _timestamp DateTime,
    _offset UInt64,
    _partition UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (team_id, distinct_id)
SETTINGS index_granularity = 512
;
CREATE TABLE ${database}.groups
(
    group_type_index UInt8,
    group_key VARCHAR,
    created_at DateTime64,
    team_id Int64,
    group_properties VARCHAR,
    _timestamp DateTime,
    _offset UInt64
)
ENGINE = ReplacingMergeTree(_timestamp)
ORDER BY (team_id, group_type_index, group_key)
