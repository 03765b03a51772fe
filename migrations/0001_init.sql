-- The whole product's schema. Constraints are part of the API: the database refuses bad data
-- even if a code path forgets to validate. Money is exact (numeric); prices and index levels
-- are double precision. Later changes go in new migrations; this file must never be edited
-- once applied (the migrator refuses to run if it is).

-- Shared: keep updated_at current on every mutable table.
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- ===================================================================== accounts

CREATE TABLE users (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email           text NOT NULL CONSTRAINT users_email_format CHECK (char_length(email) BETWEEN 3 AND 320 AND email ~ '^[^@\s]+@[^@\s]+$'),
    password_hash   text NOT NULL CONSTRAINT users_password_hash_present CHECK (char_length(password_hash) >= 20),
    display_name    text CONSTRAINT users_display_name_length CHECK (char_length(display_name) <= 255),
    role            text NOT NULL DEFAULT 'user' CONSTRAINT users_role_valid CHECK (role IN ('admin', 'user')),
    is_active       boolean NOT NULL DEFAULT true,
    last_login_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
-- One live account per address, whatever its case.
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX users_active_idx ON users (is_active) WHERE deleted_at IS NULL;

CREATE TABLE refresh_tokens (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the token, hex; the token itself is never stored.
    token_hash      text NOT NULL CONSTRAINT refresh_tokens_token_hash_key UNIQUE
                    CONSTRAINT refresh_tokens_token_hash_format CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    family_id       uuid NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    replaced_by     uuid REFERENCES refresh_tokens (id),
    ip              inet,
    user_agent      text CONSTRAINT refresh_tokens_user_agent_length CHECK (char_length(user_agent) <= 1024),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT refresh_tokens_expiry_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- ===================================================================== markets

CREATE TABLE assets (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    symbol          text NOT NULL CONSTRAINT assets_symbol_format CHECK (symbol ~ '^[A-Z0-9][A-Z0-9.\-^=]{0,19}$'),
    name            text NOT NULL CONSTRAINT assets_name_length CHECK (char_length(name) BETWEEN 1 AND 255),
    sector          text CONSTRAINT assets_sector_length CHECK (char_length(sector) <= 100),
    asset_class     text NOT NULL CONSTRAINT assets_asset_class_valid
                    CHECK (asset_class IN ('equity', 'etf', 'bond', 'commodity', 'crypto', 'cash', 'index', 'fund', 'other')),
    currency        char(3) NOT NULL CONSTRAINT assets_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    is_benchmark    boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE UNIQUE INDEX assets_symbol_key ON assets (symbol) WHERE deleted_at IS NULL;

-- Daily prices, partitioned by year so old years can be detached or archived whole.
-- Refreshes upsert; nothing here is ever deleted by a refresh.
CREATE TABLE prices (
    asset_id        bigint NOT NULL REFERENCES assets (id) ON DELETE RESTRICT,
    date            date NOT NULL,
    open            double precision CONSTRAINT prices_open_positive CHECK (open > 0),
    high            double precision CONSTRAINT prices_high_positive CHECK (high > 0),
    low             double precision CONSTRAINT prices_low_positive CHECK (low > 0),
    close           double precision NOT NULL CONSTRAINT prices_close_positive CHECK (close > 0),
    volume          bigint NOT NULL DEFAULT 0 CONSTRAINT prices_volume_non_negative CHECK (volume >= 0),
    source          text NOT NULL DEFAULT 'unknown' CONSTRAINT prices_source_length CHECK (char_length(source) BETWEEN 1 AND 50),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asset_id, date),
    CONSTRAINT prices_high_not_below_low CHECK (high IS NULL OR low IS NULL OR high >= low)
) PARTITION BY RANGE (date);

DO $$
BEGIN
    FOR y IN 1990..2035 LOOP
        EXECUTE format('CREATE TABLE prices_%s PARTITION OF prices FOR VALUES FROM (%L) TO (%L)',
                       y, make_date(y, 1, 1), make_date(y + 1, 1, 1));
    END LOOP;
END
$$;
CREATE TABLE prices_default PARTITION OF prices DEFAULT;

CREATE TABLE fx_rates (
    base            char(3) NOT NULL CONSTRAINT fx_rates_base_format CHECK (base ~ '^[A-Z]{3}$'),
    quote           char(3) NOT NULL CONSTRAINT fx_rates_quote_format CHECK (quote ~ '^[A-Z]{3}$'),
    date            date NOT NULL,
    rate            numeric(24, 12) NOT NULL CONSTRAINT fx_rates_rate_positive CHECK (rate > 0),
    source          text NOT NULL DEFAULT 'unknown',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (base, quote, date),
    CONSTRAINT fx_rates_distinct_currencies CHECK (base <> quote)
);

-- Strategy weights: a JSON object of symbol -> weight, each in [0, 1], summing to 1.
CREATE FUNCTION strategy_weights_valid(w jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_typeof(w) = 'object'
       AND EXISTS (SELECT 1 FROM jsonb_each(w))
       AND NOT EXISTS (SELECT 1 FROM jsonb_each(w) AS e
                       WHERE jsonb_typeof(e.value) <> 'number' OR e.value::numeric < 0 OR e.value::numeric > 1)
       AND abs((SELECT sum(e.value::numeric) FROM jsonb_each(w) AS e) - 1) <= 0.000001
$$;

CREATE TABLE strategy_configs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version             integer NOT NULL CONSTRAINT strategy_configs_version_key UNIQUE
                        CONSTRAINT strategy_configs_version_positive CHECK (version > 0),
    name                text NOT NULL CONSTRAINT strategy_configs_name_length CHECK (char_length(name) BETWEEN 1 AND 255),
    weights             jsonb NOT NULL CONSTRAINT strategy_configs_weights_valid CHECK (strategy_weights_valid(weights)),
    rebalance_frequency text NOT NULL CONSTRAINT strategy_configs_rebalance_frequency_valid
                        CHECK (rebalance_frequency IN ('daily', 'weekly', 'monthly', 'quarterly', 'yearly')),
    -- Rebalance when any weight drifts this far from its target.
    drift_threshold     numeric(6, 5) NOT NULL DEFAULT 0.05 CONSTRAINT strategy_configs_drift_threshold_range
                        CHECK (drift_threshold > 0 AND drift_threshold <= 1),
    -- Position limits applied when computing allocations.
    min_weight          numeric(6, 5) NOT NULL DEFAULT 0 CONSTRAINT strategy_configs_min_weight_range CHECK (min_weight BETWEEN 0 AND 1),
    max_weight          numeric(6, 5) NOT NULL DEFAULT 1 CONSTRAINT strategy_configs_max_weight_range CHECK (max_weight BETWEEN 0 AND 1),
    base_value          double precision NOT NULL DEFAULT 1000 CONSTRAINT strategy_configs_base_value_positive CHECK (base_value > 0),
    is_active           boolean NOT NULL DEFAULT false,
    created_by          uuid REFERENCES users (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT strategy_configs_weight_limits_ordered CHECK (min_weight <= max_weight)
);
-- At most one active strategy.
CREATE UNIQUE INDEX strategy_configs_one_active ON strategy_configs ((true)) WHERE is_active;

CREATE TABLE index_values (
    date                date PRIMARY KEY,
    value               double precision NOT NULL CONSTRAINT index_values_value_positive CHECK (value > 0),
    daily_return        double precision,
    strategy_version    integer REFERENCES strategy_configs (version),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE allocations (
    date                date NOT NULL,
    asset_id            bigint NOT NULL REFERENCES assets (id),
    weight              numeric(12, 10) NOT NULL CONSTRAINT allocations_weight_range CHECK (weight BETWEEN 0 AND 1),
    strategy_version    integer REFERENCES strategy_configs (version),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (date, asset_id)
);

CREATE TABLE risk_metrics (
    date                date PRIMARY KEY,
    volatility_30d      double precision CONSTRAINT risk_metrics_volatility_non_negative CHECK (volatility_30d >= 0),
    volatility_1y       double precision CONSTRAINT risk_metrics_volatility_1y_non_negative CHECK (volatility_1y >= 0),
    sharpe_ratio        double precision,
    max_drawdown        double precision CONSTRAINT risk_metrics_max_drawdown_range CHECK (max_drawdown BETWEEN -1 AND 0),
    var_95              double precision,
    beta                double precision,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- ===================================================================== reconciliation

CREATE TABLE projects (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id        uuid NOT NULL REFERENCES users (id),
    name            text NOT NULL CONSTRAINT projects_name_length CHECK (char_length(btrim(name)) BETWEEN 1 AND 255),
    description     text CONSTRAINT projects_description_length CHECK (char_length(description) <= 4000),
    status          text NOT NULL DEFAULT 'active' CONSTRAINT projects_status_valid CHECK (status IN ('active', 'archived')),
    settings        jsonb NOT NULL DEFAULT '{}' CONSTRAINT projects_settings_object CHECK (jsonb_typeof(settings) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE INDEX projects_owner_idx ON projects (owner_id) WHERE deleted_at IS NULL;

CREATE TABLE project_members (
    project_id      uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text NOT NULL CONSTRAINT project_members_role_valid CHECK (role IN ('owner', 'editor', 'viewer')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user_idx ON project_members (user_id);

CREATE TABLE data_sources (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id      uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name            text NOT NULL CONSTRAINT data_sources_name_length CHECK (char_length(btrim(name)) BETWEEN 1 AND 255),
    -- The kind of system the transactions come from ("source system").
    source_system   text NOT NULL CONSTRAINT data_sources_source_system_valid
                    CHECK (source_system IN ('bank', 'ledger', 'erp', 'payment_processor', 'card', 'other')),
    is_active       boolean NOT NULL DEFAULT true,
    settings        jsonb NOT NULL DEFAULT '{}' CONSTRAINT data_sources_settings_object CHECK (jsonb_typeof(settings) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE INDEX data_sources_project_idx ON data_sources (project_id) WHERE is_active AND deleted_at IS NULL;
CREATE UNIQUE INDEX data_sources_project_name_key ON data_sources (project_id, lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE uploaded_files (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id      uuid NOT NULL REFERENCES projects (id),
    data_source_id  uuid NOT NULL REFERENCES data_sources (id),
    file_name       text NOT NULL CONSTRAINT uploaded_files_file_name_length CHECK (char_length(file_name) BETWEEN 1 AND 255),
    size_bytes      bigint NOT NULL CONSTRAINT uploaded_files_size_non_negative CHECK (size_bytes >= 0),
    content_type    text NOT NULL CONSTRAINT uploaded_files_content_type_length CHECK (char_length(content_type) BETWEEN 1 AND 255),
    sha256          char(64) NOT NULL CONSTRAINT uploaded_files_sha256_format CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    status          text NOT NULL DEFAULT 'received' CONSTRAINT uploaded_files_status_valid
                    CHECK (status IN ('received', 'processing', 'processed', 'failed')),
    row_count       integer CONSTRAINT uploaded_files_row_count_non_negative CHECK (row_count >= 0),
    error           text,
    uploaded_by     uuid NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE INDEX uploaded_files_project_status_idx ON uploaded_files (project_id, status);
CREATE INDEX uploaded_files_uploaded_by_idx ON uploaded_files (uploaded_by);

CREATE TABLE reconciliation_records (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id      uuid NOT NULL REFERENCES projects (id),
    data_source_id  uuid NOT NULL REFERENCES data_sources (id),
    file_id         uuid REFERENCES uploaded_files (id),
    external_id     text NOT NULL CONSTRAINT reconciliation_records_external_id_length CHECK (char_length(external_id) BETWEEN 1 AND 255),
    transaction_date date NOT NULL,
    amount          numeric(20, 4) NOT NULL,
    currency        char(3) NOT NULL CONSTRAINT reconciliation_records_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    reference       text CONSTRAINT reconciliation_records_reference_length CHECK (char_length(reference) <= 255),
    description     text CONSTRAINT reconciliation_records_description_length CHECK (char_length(description) <= 2000),
    counterparty    text CONSTRAINT reconciliation_records_counterparty_length CHECK (char_length(counterparty) <= 255),
    raw             jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'unmatched' CONSTRAINT reconciliation_records_status_valid
                    CHECK (status IN ('unmatched', 'matched', 'excluded')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    CONSTRAINT reconciliation_records_source_external_id_key UNIQUE (data_source_id, external_id)
);
CREATE INDEX reconciliation_records_project_date_idx ON reconciliation_records (project_id, transaction_date);
CREATE INDEX reconciliation_records_project_status_idx ON reconciliation_records (project_id, status);
CREATE INDEX reconciliation_records_file_idx ON reconciliation_records (file_id);

CREATE TABLE reconciliation_jobs (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id              uuid NOT NULL REFERENCES projects (id),
    left_source_id          uuid NOT NULL REFERENCES data_sources (id),
    right_source_id         uuid NOT NULL REFERENCES data_sources (id),
    confidence_threshold    numeric(4, 3) NOT NULL DEFAULT 0.800 CONSTRAINT reconciliation_jobs_confidence_threshold_range
                            CHECK (confidence_threshold BETWEEN 0 AND 1),
    status                  text NOT NULL DEFAULT 'queued' CONSTRAINT reconciliation_jobs_status_valid
                            CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    progress                numeric(5, 4) NOT NULL DEFAULT 0 CONSTRAINT reconciliation_jobs_progress_range CHECK (progress BETWEEN 0 AND 1),
    total_records           integer CONSTRAINT reconciliation_jobs_total_non_negative CHECK (total_records >= 0),
    processed_records       integer NOT NULL DEFAULT 0 CONSTRAINT reconciliation_jobs_processed_non_negative CHECK (processed_records >= 0),
    matched_count           integer NOT NULL DEFAULT 0 CONSTRAINT reconciliation_jobs_matched_non_negative CHECK (matched_count >= 0),
    unmatched_count         integer NOT NULL DEFAULT 0 CONSTRAINT reconciliation_jobs_unmatched_non_negative CHECK (unmatched_count >= 0),
    started_at              timestamptz,
    finished_at             timestamptz,
    heartbeat_at            timestamptz,
    error                   text,
    created_by              uuid NOT NULL REFERENCES users (id),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reconciliation_jobs_distinct_sources CHECK (left_source_id <> right_source_id),
    CONSTRAINT reconciliation_jobs_finished_after_start CHECK (finished_at IS NULL OR started_at IS NULL OR finished_at >= started_at),
    CONSTRAINT reconciliation_jobs_terminal_has_finish CHECK ((status IN ('completed', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
    CONSTRAINT reconciliation_jobs_failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL)
);
CREATE INDEX reconciliation_jobs_project_status_idx ON reconciliation_jobs (project_id, status);
CREATE INDEX reconciliation_jobs_project_created_idx ON reconciliation_jobs (project_id, created_at);
CREATE INDEX reconciliation_jobs_status_created_idx ON reconciliation_jobs (status, created_at);
CREATE INDEX reconciliation_jobs_created_by_idx ON reconciliation_jobs (created_by);

CREATE TABLE matches (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id          uuid NOT NULL REFERENCES reconciliation_jobs (id) ON DELETE CASCADE,
    project_id      uuid NOT NULL REFERENCES projects (id),
    confidence      numeric(5, 4) NOT NULL CONSTRAINT matches_confidence_range CHECK (confidence BETWEEN 0 AND 1),
    match_type      text NOT NULL CONSTRAINT matches_match_type_valid
                    CHECK (match_type IN ('exact', 'fuzzy', 'one_to_many', 'many_to_one', 'manual')),
    status          text NOT NULL DEFAULT 'proposed' CONSTRAINT matches_status_valid CHECK (status IN ('proposed', 'confirmed', 'rejected')),
    reviewed_by     uuid REFERENCES users (id),
    reviewed_at     timestamptz,
    notes           text CONSTRAINT matches_notes_length CHECK (char_length(notes) <= 4000),
    details         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT matches_review_recorded CHECK (status = 'proposed' OR (reviewed_by IS NOT NULL AND reviewed_at IS NOT NULL))
);
CREATE INDEX matches_project_idx ON matches (project_id);
CREATE INDEX matches_job_confidence_idx ON matches (job_id, confidence DESC);

-- The records of a match and their side: one-to-one, one-to-many and many-to-one groups.
CREATE TABLE match_items (
    match_id        uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
    record_id       bigint NOT NULL REFERENCES reconciliation_records (id),
    side            text NOT NULL CONSTRAINT match_items_side_valid CHECK (side IN ('left', 'right')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (match_id, record_id)
);
CREATE INDEX match_items_record_idx ON match_items (record_id);

-- ===================================================================== audit and operations

CREATE TABLE audit_logs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    user_id         uuid REFERENCES users (id),
    action          text NOT NULL CONSTRAINT audit_logs_action_length CHECK (char_length(action) BETWEEN 1 AND 100),
    resource_type   text NOT NULL CONSTRAINT audit_logs_resource_type_length CHECK (char_length(resource_type) BETWEEN 1 AND 100),
    resource_id     text,
    request_id      text,
    ip              inet,
    user_agent      text,
    old_values      jsonb,
    new_values      jsonb
);
CREATE INDEX audit_logs_user_time_idx ON audit_logs (user_id, occurred_at);
CREATE INDEX audit_logs_resource_time_idx ON audit_logs (resource_type, resource_id, occurred_at);

-- Append-only: the audit trail cannot be rewritten, even by the application's own role.
CREATE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_logs_no_update_delete BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_append_only();

CREATE TABLE job_runs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CONSTRAINT job_runs_kind_valid
                    CHECK (kind IN ('price_refresh', 'fx_refresh', 'index_compute', 'backup', 'retention', 'reconciliation', 'other')),
    trigger         text NOT NULL CONSTRAINT job_runs_trigger_valid CHECK (trigger IN ('schedule', 'cron', 'manual', 'startup')),
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    status          text NOT NULL DEFAULT 'running' CONSTRAINT job_runs_status_valid
                    CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    stats           jsonb NOT NULL DEFAULT '{}',
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_runs_finished_after_start CHECK (finished_at IS NULL OR finished_at >= started_at),
    CONSTRAINT job_runs_done_has_finish CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX job_runs_kind_started_idx ON job_runs (kind, started_at DESC);

CREATE TABLE backups (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind            text NOT NULL CONSTRAINT backups_kind_valid CHECK (kind IN ('full', 'schema', 'data')),
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    status          text NOT NULL DEFAULT 'running' CONSTRAINT backups_status_valid
                    CHECK (status IN ('running', 'succeeded', 'failed', 'expired')),
    location        text,
    size_bytes      bigint CONSTRAINT backups_size_non_negative CHECK (size_bytes >= 0),
    sha256          char(64) CONSTRAINT backups_sha256_format CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    tables          text[] NOT NULL DEFAULT '{}',
    retention_class text NOT NULL CONSTRAINT backups_retention_class_valid CHECK (retention_class IN ('daily', 'weekly', 'monthly', 'manual')),
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT backups_succeeded_is_complete CHECK (status <> 'succeeded' OR (finished_at IS NOT NULL AND location IS NOT NULL AND sha256 IS NOT NULL))
);
CREATE INDEX backups_status_started_idx ON backups (status, started_at);

-- updated_at triggers for every table that has the column.
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'updated_at' AND NOT a.attisdropped
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
                       t || '_set_updated_at', t);
    END LOOP;
END
$$;
