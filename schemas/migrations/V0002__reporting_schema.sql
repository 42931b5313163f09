-- The denormalized reporting schema (analytics, dashboards). These tables are derived data:
-- the ETL pipelines (mysqlops etl run) fill and refresh them from the OLTP tables, so they carry
-- copies (names, segments) on purpose and no foreign keys to the OLTP side.

-- One row per customer with at least one order.
CREATE TABLE customer_order_summary (
  customer_id          BIGINT UNSIGNED NOT NULL,
  email                VARCHAR(255)    NOT NULL,
  customer_name        VARCHAR(201)    NOT NULL,
  customer_segment     VARCHAR(16)     NOT NULL,
  total_orders         INT UNSIGNED    NOT NULL DEFAULT 0,
  completed_orders     INT UNSIGNED    NOT NULL DEFAULT 0,
  cancelled_orders     INT UNSIGNED    NOT NULL DEFAULT 0,
  returned_orders      INT UNSIGNED    NOT NULL DEFAULT 0,
  total_items          INT UNSIGNED    NOT NULL DEFAULT 0,
  -- Money actually kept: orders not cancelled and not returned.
  total_spent          DECIMAL(14,2)   NOT NULL DEFAULT 0,
  avg_order_value      DECIMAL(12,2)   NOT NULL DEFAULT 0,
  first_order_at       DATETIME        NULL,
  last_order_at        DATETIME        NULL,
  created_at           DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at           DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (customer_id),
  KEY ix_customer_order_summary_segment_spent (customer_segment, total_spent),
  KEY ix_customer_order_summary_last_order (last_order_at)
) ENGINE = InnoDB;

-- One row per product that was ever ordered.
CREATE TABLE product_performance_summary (
  product_id           INT UNSIGNED    NOT NULL,
  sku                  VARCHAR(32)     NOT NULL,
  product_name         VARCHAR(200)    NOT NULL,
  category_id          INT UNSIGNED    NOT NULL,
  category_name        VARCHAR(100)    NOT NULL,
  order_count          INT UNSIGNED    NOT NULL DEFAULT 0,
  units_sold           INT UNSIGNED    NOT NULL DEFAULT 0,
  units_returned       INT UNSIGNED    NOT NULL DEFAULT 0,
  revenue              DECIMAL(14,2)   NOT NULL DEFAULT 0,
  cost_of_goods        DECIMAL(14,2)   NOT NULL DEFAULT 0,
  gross_margin         DECIMAL(14,2)   NOT NULL DEFAULT 0,
  first_sold_at        DATETIME        NULL,
  last_sold_at         DATETIME        NULL,
  created_at           DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at           DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (product_id),
  KEY ix_product_performance_summary_revenue (revenue),
  KEY ix_product_performance_summary_category (category_id)
) ENGINE = InnoDB;

-- One row per calendar day (UTC) with orders.
CREATE TABLE daily_sales_summary (
  sales_date           DATE            NOT NULL,
  order_count          INT UNSIGNED    NOT NULL DEFAULT 0,
  cancelled_orders     INT UNSIGNED    NOT NULL DEFAULT 0,
  returned_orders      INT UNSIGNED    NOT NULL DEFAULT 0,
  items_sold           INT UNSIGNED    NOT NULL DEFAULT 0,
  unique_customers     INT UNSIGNED    NOT NULL DEFAULT 0,
  new_customers        INT UNSIGNED    NOT NULL DEFAULT 0,
  gross_revenue        DECIMAL(14,2)   NOT NULL DEFAULT 0,
  discount_total       DECIMAL(14,2)   NOT NULL DEFAULT 0,
  net_revenue          DECIMAL(14,2)   NOT NULL DEFAULT 0,
  avg_order_value      DECIMAL(12,2)   NOT NULL DEFAULT 0,
  created_at           DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at           DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (sales_date)
) ENGINE = InnoDB;

-- Cohorts by the month of a customer's first order; one row per cohort and month since then.
CREATE TABLE customer_cohort_analysis (
  cohort_month         DATE            NOT NULL,
  months_since_first   SMALLINT UNSIGNED NOT NULL,
  cohort_size          INT UNSIGNED    NOT NULL,
  active_customers     INT UNSIGNED    NOT NULL,
  retention_rate       DECIMAL(7,4)    NOT NULL,
  revenue              DECIMAL(14,2)   NOT NULL DEFAULT 0,
  cumulative_revenue   DECIMAL(14,2)   NOT NULL DEFAULT 0,
  -- cumulative_revenue / cohort_size: what a customer of this cohort is worth so far.
  lifetime_value       DECIMAL(12,2)   NOT NULL DEFAULT 0,
  created_at           DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at           DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (cohort_month, months_since_first),
  CONSTRAINT ck_customer_cohort_analysis_month CHECK (DAYOFMONTH(cohort_month) = 1),
  CONSTRAINT ck_customer_cohort_analysis_rate CHECK (retention_rate BETWEEN 0 AND 1),
  CONSTRAINT ck_customer_cohort_analysis_active CHECK (active_customers <= cohort_size)
) ENGINE = InnoDB;
