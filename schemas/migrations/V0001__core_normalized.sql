-- The normalized (3NF) e-commerce schema for transactional work (OLTP).
--
-- Conventions, kept in every table:
--   * InnoDB, utf8mb4 / utf8mb4_unicode_ci (inherited from the database).
--   * Surrogate keys named <table>_id, BIGINT UNSIGNED (INT for the small catalogue tables).
--   * Money is DECIMAL(12,2), never FLOAT.
--   * created_at / updated_at on every table; updated_at follows every change.
--   * Foreign keys RESTRICT deletes: cascades would bypass the audit triggers (they fire no
--     triggers), so removing a parent is done explicitly, in audited code.
--   * CHECK constraints state the rules the server can enforce (MariaDB 10.2+, MySQL 8.0.16+).

CREATE TABLE customers (
  customer_id    BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  email          VARCHAR(255)    NOT NULL,
  first_name     VARCHAR(100)    NOT NULL,
  last_name      VARCHAR(100)    NOT NULL,
  phone          VARCHAR(32)     NULL,
  -- Marketing segment, maintained by the application or the ETL (new until the first orders).
  segment        VARCHAR(16)     NOT NULL DEFAULT 'new',
  -- A bcrypt/argon2 hash or NULL for guest customers; excluded from the audit trail.
  password_hash  VARCHAR(255)    NULL,
  is_active      TINYINT(1)      NOT NULL DEFAULT 1,
  created_at     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (customer_id),
  UNIQUE KEY uq_customers_email (email),
  KEY ix_customers_segment (segment),
  KEY ix_customers_created_at (created_at),
  CONSTRAINT ck_customers_segment CHECK (segment IN ('new', 'regular', 'vip', 'at_risk', 'churned')),
  CONSTRAINT ck_customers_email CHECK (email LIKE '%_@_%'),
  CONSTRAINT ck_customers_is_active CHECK (is_active IN (0, 1))
) ENGINE = InnoDB;

CREATE TABLE addresses (
  address_id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  customer_id    BIGINT UNSIGNED NOT NULL,
  address_type   VARCHAR(8)      NOT NULL,
  -- 1 for the customer's default address of this type, NULL otherwise: NULLs never collide in
  -- the unique key below, so it allows any number of other addresses but one default billing and
  -- one default shipping address. (Not a generated column: MariaDB 10.11's CHECKSUM TABLE is not
  -- stable on tables with generated columns, and backups verify with it.)
  is_default     TINYINT(1)      NULL,
  recipient_name VARCHAR(200)    NOT NULL,
  line1          VARCHAR(255)    NOT NULL,
  line2          VARCHAR(255)    NULL,
  city           VARCHAR(100)    NOT NULL,
  region         VARCHAR(100)    NULL,
  postal_code    VARCHAR(20)     NOT NULL,
  country_code   CHAR(2)         NOT NULL,
  created_at     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (address_id),
  UNIQUE KEY uq_addresses_one_default (customer_id, address_type, is_default),
  CONSTRAINT fk_addresses_customer FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
  CONSTRAINT ck_addresses_type CHECK (address_type IN ('billing', 'shipping')),
  CONSTRAINT ck_addresses_is_default CHECK (is_default = 1),
  CONSTRAINT ck_addresses_country CHECK (CAST(country_code AS BINARY) REGEXP '^[A-Z]{2}$')
) ENGINE = InnoDB;

-- A tree of unbounded depth (adjacency list). Subtrees come from a recursive CTE; see
-- docs/schema.md for the query.
CREATE TABLE categories (
  category_id    INT UNSIGNED    NOT NULL AUTO_INCREMENT,
  parent_id      INT UNSIGNED    NULL,
  name           VARCHAR(100)    NOT NULL,
  slug           VARCHAR(120)    NOT NULL,
  description    VARCHAR(500)    NULL,
  sort_order     INT             NOT NULL DEFAULT 0,
  is_active      TINYINT(1)      NOT NULL DEFAULT 1,
  created_at     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (category_id),
  UNIQUE KEY uq_categories_slug (slug),
  UNIQUE KEY uq_categories_sibling_name (parent_id, name),
  CONSTRAINT fk_categories_parent FOREIGN KEY (parent_id) REFERENCES categories (category_id),
  CONSTRAINT ck_categories_slug CHECK (CAST(slug AS BINARY) REGEXP '^[a-z0-9]+(-[a-z0-9]+)*$'),
  CONSTRAINT ck_categories_is_active CHECK (is_active IN (0, 1))
) ENGINE = InnoDB;

CREATE TABLE products (
  product_id     INT UNSIGNED    NOT NULL AUTO_INCREMENT,
  sku            VARCHAR(32)     NOT NULL,
  name           VARCHAR(200)    NOT NULL,
  description    TEXT            NULL,
  category_id    INT UNSIGNED    NOT NULL,
  price          DECIMAL(12,2)   NOT NULL,
  cost           DECIMAL(12,2)   NOT NULL,
  -- Stock at or below this level means "reorder" (see the product_inventory view).
  reorder_level  INT UNSIGNED    NOT NULL DEFAULT 10,
  is_active      TINYINT(1)      NOT NULL DEFAULT 1,
  created_at     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (product_id),
  UNIQUE KEY uq_products_sku (sku),
  KEY ix_products_category (category_id),
  CONSTRAINT fk_products_category FOREIGN KEY (category_id) REFERENCES categories (category_id),
  CONSTRAINT ck_products_price CHECK (price >= 0),
  CONSTRAINT ck_products_cost CHECK (cost >= 0),
  CONSTRAINT ck_products_is_active CHECK (is_active IN (0, 1))
) ENGINE = InnoDB;

-- Status lifecycle: pending -> paid -> shipped -> delivered, with cancelled (before shipping)
-- and returned (after delivery) as the two exits. The timestamps record when each step happened;
-- two CHECKs keep them in order and in agreement with the status. Format CHECKs compare bytes
-- (CAST AS BINARY): under utf8mb4_unicode_ci a REGEXP would accept 'us' for [A-Z].
CREATE TABLE orders (
  order_id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  customer_id         BIGINT UNSIGNED NOT NULL,
  status              VARCHAR(16)     NOT NULL DEFAULT 'pending',
  billing_address_id  BIGINT UNSIGNED NULL,
  shipping_address_id BIGINT UNSIGNED NULL,
  currency            CHAR(3)         NOT NULL DEFAULT 'USD',
  -- total_amount = subtotal - discount_amount + tax_amount + shipping_amount, and subtotal is
  -- the sum of the order's line totals (kept by the place_order procedure and the seeder).
  subtotal            DECIMAL(12,2)   NOT NULL DEFAULT 0,
  discount_amount     DECIMAL(12,2)   NOT NULL DEFAULT 0,
  tax_amount          DECIMAL(12,2)   NOT NULL DEFAULT 0,
  shipping_amount     DECIMAL(12,2)   NOT NULL DEFAULT 0,
  total_amount        DECIMAL(12,2)   NOT NULL DEFAULT 0,
  ordered_at          DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  paid_at             DATETIME        NULL,
  shipped_at          DATETIME        NULL,
  delivered_at        DATETIME        NULL,
  cancelled_at        DATETIME        NULL,
  returned_at         DATETIME        NULL,
  created_at          DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at          DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (order_id),
  KEY ix_orders_customer_ordered (customer_id, ordered_at),
  KEY ix_orders_ordered_at (ordered_at),
  KEY ix_orders_status_ordered (status, ordered_at),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
  CONSTRAINT fk_orders_billing_address FOREIGN KEY (billing_address_id) REFERENCES addresses (address_id),
  CONSTRAINT fk_orders_shipping_address FOREIGN KEY (shipping_address_id) REFERENCES addresses (address_id),
  CONSTRAINT ck_orders_status
    CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'returned')),
  CONSTRAINT ck_orders_amounts_non_negative
    CHECK (subtotal >= 0 AND discount_amount >= 0 AND tax_amount >= 0 AND shipping_amount >= 0
           AND total_amount >= 0),
  CONSTRAINT ck_orders_discount CHECK (discount_amount <= subtotal),
  CONSTRAINT ck_orders_total
    CHECK (total_amount = subtotal - discount_amount + tax_amount + shipping_amount),
  CONSTRAINT ck_orders_currency CHECK (CAST(currency AS BINARY) REGEXP '^[A-Z]{3}$'),
  CONSTRAINT ck_orders_timeline
    CHECK ((paid_at IS NULL OR paid_at >= ordered_at)
           AND (shipped_at IS NULL OR (paid_at IS NOT NULL AND shipped_at >= paid_at))
           AND (delivered_at IS NULL OR (shipped_at IS NOT NULL AND delivered_at >= shipped_at))
           AND (returned_at IS NULL OR (delivered_at IS NOT NULL AND returned_at >= delivered_at))
           AND (cancelled_at IS NULL OR (shipped_at IS NULL AND cancelled_at >= ordered_at))),
  -- The status agrees with the step timestamps (views and the ETL count by status).
  CONSTRAINT ck_orders_status_timestamps
    CHECK ((status <> 'pending' OR (paid_at IS NULL AND shipped_at IS NULL))
           AND (status NOT IN ('paid', 'shipped', 'delivered', 'returned') OR paid_at IS NOT NULL)
           AND (status NOT IN ('shipped', 'delivered', 'returned') OR shipped_at IS NOT NULL)
           AND (status NOT IN ('delivered', 'returned') OR delivered_at IS NOT NULL)
           AND ((status = 'returned') = (returned_at IS NOT NULL))
           AND ((status = 'cancelled') = (cancelled_at IS NOT NULL)))
) ENGINE = InnoDB;

CREATE TABLE order_items (
  order_item_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_id        BIGINT UNSIGNED NOT NULL,
  product_id      INT UNSIGNED    NOT NULL,
  quantity        INT UNSIGNED    NOT NULL,
  -- The price at the time of the order (products.price changes later).
  unit_price      DECIMAL(12,2)   NOT NULL,
  discount_amount DECIMAL(12,2)   NOT NULL DEFAULT 0,
  line_total      DECIMAL(12,2)   NOT NULL,
  created_at      DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (order_item_id),
  UNIQUE KEY uq_order_items_product (order_id, product_id),
  KEY ix_order_items_product (product_id),
  CONSTRAINT fk_order_items_order FOREIGN KEY (order_id) REFERENCES orders (order_id),
  CONSTRAINT fk_order_items_product FOREIGN KEY (product_id) REFERENCES products (product_id),
  CONSTRAINT ck_order_items_quantity CHECK (quantity > 0),
  CONSTRAINT ck_order_items_price CHECK (unit_price >= 0 AND discount_amount >= 0),
  CONSTRAINT ck_order_items_line_total CHECK (line_total = quantity * unit_price - discount_amount),
  CONSTRAINT ck_order_items_line_total_non_negative CHECK (line_total >= 0)
) ENGINE = InnoDB;

-- Every stock change, signed: receipts and returns add, sales remove. Stock on hand is
-- SUM(quantity) per product (the product_inventory view); rows are never updated in place,
-- a correction is a new 'adjustment' row.
CREATE TABLE inventory_movements (
  movement_id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  product_id      INT UNSIGNED    NOT NULL,
  quantity        INT             NOT NULL,
  reason          VARCHAR(16)     NOT NULL,
  -- What caused it: an order (reference_id = order_id), a purchase order, or a manual count.
  reference_type  VARCHAR(16)     NULL,
  reference_id    BIGINT UNSIGNED NULL,
  note            VARCHAR(255)    NULL,
  moved_at        DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  created_at      DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (movement_id),
  -- (product_id, quantity) covers SUM(quantity) per product without touching the rows.
  KEY ix_inventory_movements_product (product_id, quantity),
  KEY ix_inventory_movements_moved_at (moved_at),
  KEY ix_inventory_movements_reference (reference_type, reference_id),
  CONSTRAINT fk_inventory_movements_product FOREIGN KEY (product_id) REFERENCES products (product_id),
  CONSTRAINT ck_inventory_movements_quantity CHECK (quantity <> 0),
  CONSTRAINT ck_inventory_movements_reason
    CHECK (reason IN ('purchase', 'sale', 'return', 'cancellation', 'adjustment')),
  CONSTRAINT ck_inventory_movements_sign
    CHECK ((reason IN ('purchase', 'return', 'cancellation') AND quantity > 0)
           OR (reason = 'sale' AND quantity < 0)
           OR reason = 'adjustment'),
  CONSTRAINT ck_inventory_movements_reference
    CHECK ((reference_type IS NULL AND reference_id IS NULL)
           OR (reference_type IN ('order', 'purchase_order', 'stock_count') AND reference_id IS NOT NULL))
) ENGINE = InnoDB;

-- Payments are their own entity: an order may be paid in parts, refunded, or fail first.
CREATE TABLE payments (
  payment_id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_id        BIGINT UNSIGNED NOT NULL,
  method          VARCHAR(16)     NOT NULL,
  status          VARCHAR(16)     NOT NULL,
  amount          DECIMAL(12,2)   NOT NULL,
  provider_ref    VARCHAR(64)     NULL,
  processed_at    DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  created_at      DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (payment_id),
  KEY ix_payments_order (order_id),
  KEY ix_payments_processed_at (processed_at),
  CONSTRAINT fk_payments_order FOREIGN KEY (order_id) REFERENCES orders (order_id),
  CONSTRAINT ck_payments_method CHECK (method IN ('card', 'paypal', 'bank_transfer', 'gift_card')),
  CONSTRAINT ck_payments_status CHECK (status IN ('authorized', 'captured', 'refunded', 'failed')),
  CONSTRAINT ck_payments_amount CHECK (amount > 0)
) ENGINE = InnoDB;
