-- PostHog's `events` table as self-hosted PostHog shipped it, in three generations, in the
-- single-node form a test can create anywhere (plain ReplacingMergeTree: no ON CLUSTER, no
-- Replicated or Distributed engines). Used by PostHogDataGenerator; `${table}` is replaced by the
-- qualified table name. Each layout starts at a `-- layout:` line.

-- layout: GEN1
-- PostHog 1.2x to 1.32 (2021): sort key on the raw distinct_id and uuid, no person columns.
-- PostHog also declared SAMPLE BY uuid; current ClickHouse refuses a UUID sampling key, so it is
-- left out here.
CREATE TABLE ${table}
(
    uuid UUID,
    event VARCHAR,
    properties VARCHAR,
    timestamp DateTime64(6, 'UTC'),
    team_id Int64,
    distinct_id VARCHAR,
    elements_chain VARCHAR,
    created_at DateTime64(6, 'UTC'),
    _timestamp DateTime,
    _offset UInt64
)
ENGINE = ReplacingMergeTree(_timestamp)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (team_id, toDate(timestamp), distinct_id, uuid)

-- layout: GEN2
-- PostHog 1.33 to 1.4x (2022): hashed sort key, person and group columns, materialized group
-- and session columns (which SELECT * does not return).
CREATE TABLE ${table}
(
    uuid UUID,
    event VARCHAR,
    properties VARCHAR,
    timestamp DateTime64(6, 'UTC'),
    team_id Int64,
    distinct_id VARCHAR,
    elements_chain VARCHAR,
    created_at DateTime64(6, 'UTC'),
    person_id UUID,
    person_created_at DateTime64,
    person_properties VARCHAR CODEC(ZSTD(3)),
    group0_properties VARCHAR CODEC(ZSTD(3)),
    group1_properties VARCHAR CODEC(ZSTD(3)),
    group2_properties VARCHAR CODEC(ZSTD(3)),
    group3_properties VARCHAR CODEC(ZSTD(3)),
    group4_properties VARCHAR CODEC(ZSTD(3)),
    group0_created_at DateTime64,
    group1_created_at DateTime64,
    group2_created_at DateTime64,
    group3_created_at DateTime64,
    group4_created_at DateTime64,
    `$group_0` VARCHAR MATERIALIZED replaceRegexpAll(JSONExtractRaw(properties, '$group_0'), '^"|"$', ''),
    `$group_1` VARCHAR MATERIALIZED replaceRegexpAll(JSONExtractRaw(properties, '$group_1'), '^"|"$', ''),
    `$window_id` VARCHAR MATERIALIZED replaceRegexpAll(JSONExtractRaw(properties, '$window_id'), '^"|"$', ''),
    `$session_id` VARCHAR MATERIALIZED replaceRegexpAll(JSONExtractRaw(properties, '$session_id'), '^"|"$', ''),
    _timestamp DateTime,
    _offset UInt64
)
ENGINE = ReplacingMergeTree(_timestamp)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(uuid))
SAMPLE BY cityHash64(distinct_id)

-- layout: GEN3
-- PostHog from 2024: ZSTD-compressed properties, person_mode, inserted_at, materialized
-- elements_chain_* columns and a minmax skip index on _timestamp.
CREATE TABLE ${table}
(
    uuid UUID,
    event VARCHAR,
    properties VARCHAR CODEC(ZSTD(3)),
    timestamp DateTime64(6, 'UTC'),
    team_id Int64,
    distinct_id VARCHAR,
    elements_chain VARCHAR,
    created_at DateTime64(6, 'UTC'),
    person_id UUID,
    person_created_at DateTime64,
    person_properties VARCHAR CODEC(ZSTD(3)),
    group0_properties VARCHAR CODEC(ZSTD(3)),
    group1_properties VARCHAR CODEC(ZSTD(3)),
    group2_properties VARCHAR CODEC(ZSTD(3)),
    group3_properties VARCHAR CODEC(ZSTD(3)),
    group4_properties VARCHAR CODEC(ZSTD(3)),
    group0_created_at DateTime64,
    group1_created_at DateTime64,
    group2_created_at DateTime64,
    group3_created_at DateTime64,
    group4_created_at DateTime64,
    person_mode Enum8('full' = 0, 'propertyless' = 1, 'force_upgrade' = 2),
    `$group_0` VARCHAR MATERIALIZED replaceRegexpAll(JSONExtractRaw(properties, '$group_0'), '^"|"$', ''),
    `$session_id` VARCHAR MATERIALIZED replaceRegexpAll(JSONExtractRaw(properties, '$session_id'), '^"|"$', ''),
    elements_chain_href String MATERIALIZED extract(elements_chain, '(?::|")href="(.*?)"'),
    elements_chain_texts Array(String) MATERIALIZED arrayDistinct(extractAll(elements_chain, '(?::|")text="(.*?)"')),
    _timestamp DateTime,
    _offset UInt64,
    inserted_at Nullable(DateTime64(6, 'UTC')) DEFAULT NOW64(),
    INDEX kafka_timestamp_minmax_events _timestamp TYPE minmax GRANULARITY 3
)
ENGINE = ReplacingMergeTree(_timestamp)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(uuid))
SAMPLE BY cityHash64(distinct_id)
