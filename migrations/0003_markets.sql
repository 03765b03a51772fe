-- Markets: what the index strategy of INDEX-SPEC needs beyond the initial schema.

-- Index symbols such as ^GSPC (the benchmark) start with a caret.
ALTER TABLE assets DROP CONSTRAINT assets_symbol_format;
ALTER TABLE assets ADD CONSTRAINT assets_symbol_format CHECK (symbol ~ '^\^?[A-Z0-9][A-Z0-9.\-=]{0,19}$');
-- Static market capitalisation in USD, for the market-cap component (NULL: unknown).
ALTER TABLE assets ADD COLUMN market_cap double precision
    CONSTRAINT assets_market_cap_positive CHECK (market_cap > 0 AND market_cap < 'Infinity'::float8);

-- Keyset pagination of /prices across assets walks (date, asset_id).
CREATE INDEX prices_date_asset_idx ON prices (date, asset_id);

-- Weights must round-trip to 1e-9 relative (INDEX-SPEC), which numeric(12,10) cannot for small weights.
ALTER TABLE allocations ALTER COLUMN weight TYPE double precision;

-- The strategy's parameters beside its component weights; a new row (version) per change.
ALTER TABLE strategy_configs ADD COLUMN parameters jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT strategy_configs_parameters_object CHECK (jsonb_typeof(parameters) = 'object');
INSERT INTO strategy_configs (version, name, weights, rebalance_frequency, parameters, is_active)
VALUES (1, 'INDEX-SPEC defaults', '{"momentum": 0.4, "market_cap": 0.3, "risk_parity": 0.3}', 'weekly',
        '{"min_price": 1.0, "max_forward_fill_days": 2, "min_coverage": 0.9, "max_daily_return": 0.5, "min_daily_return": -0.5,
          "outlier_std_threshold": 3.0, "lookback_days": 60, "momentum_days": 20, "daily_drop_threshold": -0.01,
          "risk_free_rate": 0.05, "trading_days_per_year": 252}', true);

-- The eleven metrics of INDEX-SPEC step 10, as of the index's last date.
ALTER TABLE risk_metrics
    ADD COLUMN total_return double precision,
    ADD COLUMN annualized_return double precision,
    ADD COLUMN volatility double precision CONSTRAINT risk_metrics_volatility_spec_non_negative CHECK (volatility >= 0),
    ADD COLUMN sortino double precision,
    ADD COLUMN current_drawdown double precision CONSTRAINT risk_metrics_current_drawdown_range CHECK (current_drawdown BETWEEN -1 AND 0),
    ADD COLUMN var_99 double precision,
    ADD COLUMN correlation double precision CONSTRAINT risk_metrics_correlation_range CHECK (correlation BETWEEN -1.000001 AND 1.000001),
    ADD COLUMN strategy_version integer REFERENCES strategy_configs (version);
