-- The ETL's own bookkeeping (docs/etl.md): change capture, per-pipeline pending keys and state, the
-- run log, and the intermediate tables the incremental pipelines aggregate from. The capture
-- triggers live in repeatable/R__etl_capture.sql.

-- Every write that can change a report, as the keys it touches (filled by the capture triggers,
-- drained by `etl run`). A queue rather than an updated_at watermark because it also sees hard
-- deletes and the old keys of an order moved to another customer or day.
-- change_id comes from UUID_SHORT() (unique, increasing per server), not AUTO_INCREMENT: a bulk
-- load fires the triggers inside one long statement, and InnoDB's AUTO-INC lock on a shared log
-- table made two concurrent LOAD DATA statements fail (ER_AUTOINC_READ_FAILED).
CREATE TABLE etl_change_log (
  change_id    BIGINT UNSIGNED NOT NULL,
  source       VARCHAR(8)      NOT NULL,
  order_id     BIGINT UNSIGNED NULL,
  customer_id  BIGINT UNSIGNED NULL,
  ordered_at   DATETIME        NULL,
  product_id   INT UNSIGNED    NULL,
  category_id  INT UNSIGNED    NULL,
  PRIMARY KEY (change_id),
  CONSTRAINT ck_etl_change_log_source
    CHECK (source IN ('order', 'item', 'customer', 'product', 'category'))
) ENGINE = InnoDB;

-- The keys each pipeline still has to recompute. k1/k2 mean what the pipeline says (customer id with
-- TO_DAYS(month); product id with TO_DAYS(day); 0 when only copied attributes changed; TO_DAYS(day);
-- customer id with TO_DAYS(month) for cohorts). A batch deletes its keys in the same transaction that rewrites their report rows, so a failed run leaves the
-- rest pending and a rerun continues where it stopped.
CREATE TABLE etl_pending (
  pipeline     VARCHAR(32)     NOT NULL,
  k1           BIGINT UNSIGNED NOT NULL,
  k2           INT UNSIGNED    NOT NULL DEFAULT 0,
  PRIMARY KEY (pipeline, k1, k2)
) ENGINE = InnoDB;

-- One row per pipeline: whether its report is built, up to which change it has been fed, and the
-- clock its segment rules use.
CREATE TABLE etl_state (
  pipeline        VARCHAR(32)     NOT NULL,
  -- 1 once the report is complete (a full build finished); 0 makes the next run a full one.
  built           TINYINT(1)      NOT NULL DEFAULT 0,
  -- 1 from the start of the first full build: changes from then on are queued for this pipeline.
  capturing       TINYINT(1)      NOT NULL DEFAULT 0,
  last_change_id  BIGINT UNSIGNED NOT NULL DEFAULT 0,
  as_of           DATETIME        NULL,
  -- customer_order_summary and product_performance_summary: where their partials switch from the
  -- settled history to small cells (set by the full build: the first day of the newest order's month).
  cell_split      DATE            NULL,
  last_full_at    DATETIME        NULL,
  last_run_at     DATETIME        NULL,
  updated_at      DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (pipeline),
  CONSTRAINT ck_etl_state_flags CHECK (built IN (0, 1) AND capturing IN (0, 1))
) ENGINE = InnoDB;

-- The run log (`mysqlops etl status`).
CREATE TABLE etl_runs (
  run_id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  pipeline          VARCHAR(32)     NOT NULL,
  mode              VARCHAR(12)     NOT NULL,
  status            VARCHAR(12)     NOT NULL,
  started_at        DATETIME(3)     NOT NULL,
  finished_at       DATETIME(3)     NULL,
  batches           INT UNSIGNED    NOT NULL DEFAULT 0,
  rows_read         BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rows_written      BIGINT UNSIGNED NOT NULL DEFAULT 0,
  watermark_before  BIGINT UNSIGNED NULL,
  watermark_after   BIGINT UNSIGNED NULL,
  error             VARCHAR(1000)   NULL,
  PRIMARY KEY (run_id),
  KEY ix_etl_runs_pipeline_started (pipeline, started_at),
  CONSTRAINT ck_etl_runs_mode CHECK (mode IN ('full', 'incremental')),
  CONSTRAINT ck_etl_runs_status CHECK (status IN ('running', 'success', 'failed'))
) ENGINE = InnoDB;

-- Per product and cell: what product_performance_summary sums. A cell is a calendar month before
-- etl_state.cell_split and a day from then on (period_start is the first day of either), so
-- recomputing the cells of new orders reads one day of orders, and the settled history stays one
-- row per product and month.
CREATE TABLE etl_product_monthly (
  product_id      INT UNSIGNED    NOT NULL,
  period_start    DATE            NOT NULL,
  order_lines     INT UNSIGNED    NOT NULL,
  order_count     INT UNSIGNED    NOT NULL,
  units_sold      INT UNSIGNED    NOT NULL,
  units_returned  INT UNSIGNED    NOT NULL,
  revenue         DECIMAL(14,2)   NOT NULL,
  first_sold_at   DATETIME        NULL,
  last_sold_at    DATETIME        NULL,
  PRIMARY KEY (product_id, period_start)
) ENGINE = InnoDB;

-- Per customer and cell: what customer_order_summary sums. One cell holds everything ordered before
-- etl_state.cell_split (period_start 1000-01-01), then one cell per calendar month: new orders
-- recompute only their (customer, month) cells through ix_orders_customer_ordered, then re-sum a
-- few rows.
CREATE TABLE etl_customer_monthly (
  customer_id       BIGINT UNSIGNED NOT NULL,
  period_start      DATE            NOT NULL,
  orders            INT UNSIGNED    NOT NULL,
  delivered_orders  INT UNSIGNED    NOT NULL,
  cancelled_orders  INT UNSIGNED    NOT NULL,
  returned_orders   INT UNSIGNED    NOT NULL,
  kept_orders       INT UNSIGNED    NOT NULL,
  items             INT UNSIGNED    NOT NULL,
  spent             DECIMAL(14,2)   NOT NULL,
  first_order_at    DATETIME        NOT NULL,
  last_order_at     DATETIME        NOT NULL,
  PRIMARY KEY (customer_id, period_start)
) ENGINE = InnoDB;

-- Each customer's cohort (month of the first order), kept by the cohort pipeline.
CREATE TABLE etl_customer_cohort (
  customer_id   BIGINT UNSIGNED NOT NULL,
  cohort_month  DATE            NOT NULL,
  PRIMARY KEY (customer_id),
  KEY ix_etl_customer_cohort_month (cohort_month, customer_id)
) ENGINE = InnoDB;

-- The product report's rank and return rate (issue 5), and the index the segment clock needs.
ALTER TABLE product_performance_summary
  ADD COLUMN return_rate DECIMAL(7,4) NOT NULL DEFAULT 0 AFTER gross_margin,
  ADD COLUMN revenue_rank INT UNSIGNED NULL AFTER return_rate;

ALTER TABLE customer_order_summary
  ADD KEY ix_customer_order_summary_first_order (first_order_at);

INSERT INTO etl_state (pipeline) VALUES
  ('customer_order_summary'),
  ('product_performance_summary'),
  ('daily_sales_summary'),
  ('customer_cohort_analysis');
