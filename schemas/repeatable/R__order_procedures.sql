-- The core write paths as stored procedures, so an order, its items, its stock movements and its
-- totals change together or not at all, whichever client calls them. Documented in
-- docs/procedures/. Both manage their own transaction and refuse to run inside a caller's open
-- transaction (START TRANSACTION would silently commit the caller's work).
--
-- Concurrency: each procedure first locks the product rows it touches (SELECT ... FOR UPDATE,
-- in product_id order) and runs at READ COMMITTED, so stock read after the lock includes every
-- committed movement; two orders for the last unit cannot both succeed.

DELIMITER $$

DROP PROCEDURE IF EXISTS place_order$$
CREATE PROCEDURE place_order(
  IN  p_customer_id         BIGINT UNSIGNED,
  IN  p_shipping_address_id BIGINT UNSIGNED,
  IN  p_billing_address_id  BIGINT UNSIGNED,
  IN  p_items               JSON,
  IN  p_discount_amount     DECIMAL(12,2),
  IN  p_shipping_amount     DECIMAL(12,2),
  IN  p_tax_rate            DECIMAL(6,4),
  OUT p_order_id            BIGINT UNSIGNED
)
  MODIFIES SQL DATA
  SQL SECURITY INVOKER
  COMMENT 'Place an order atomically: order, items at current prices, sale movements, totals'
BEGIN
  DECLARE v_requested INT;
  DECLARE v_locked INT;
  DECLARE v_short_product INT UNSIGNED;
  DECLARE v_short_stock BIGINT;
  DECLARE v_subtotal DECIMAL(14,2);
  DECLARE v_message VARCHAR(255);

  -- Checked before anything can roll back: a ROLLBACK here would discard the caller's work.
  IF session_in_transaction() = 1 THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'place_order manages its own transaction: call it outside an open transaction';
  END IF;
  IF p_items IS NULL OR JSON_VALID(p_items) = 0 OR JSON_TYPE(p_items) <> 'ARRAY' OR JSON_LENGTH(p_items) = 0 THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'place_order: p_items must be a non-empty JSON array of {"product_id", "quantity"}';
  END IF;
  IF COALESCE(p_discount_amount, 0) < 0 OR COALESCE(p_shipping_amount, 0) < 0
     OR COALESCE(p_tax_rate, 0) < 0 OR COALESCE(p_tax_rate, 0) >= 1 THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'place_order: discount and shipping must be >= 0 and the tax rate in [0, 1)';
  END IF;

  work: BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;

  SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
  START TRANSACTION;

  -- The requested lines, one per product (a product listed twice is summed).
  DROP TEMPORARY TABLE IF EXISTS place_order_lines;
  CREATE TEMPORARY TABLE place_order_lines (
    -- Nullable on purpose: a line without product_id or quantity reaches the check below and gets
    -- a clear message instead of a NOT NULL error.
    product_id INT UNSIGNED NULL,
    quantity   BIGINT NULL,
    UNIQUE KEY (product_id)
  ) ENGINE = MEMORY;
  INSERT INTO place_order_lines (product_id, quantity)
  SELECT j.product_id, SUM(j.quantity)
  FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
         product_id INT UNSIGNED PATH '$.product_id',
         quantity   INT          PATH '$.quantity')) AS j
  GROUP BY j.product_id;

  IF EXISTS (SELECT 1 FROM place_order_lines WHERE product_id IS NULL OR quantity IS NULL OR quantity <= 0) THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'place_order: every item needs a product_id and a positive quantity';
  END IF;

  SELECT COUNT(*) INTO v_requested FROM place_order_lines;
  SELECT COUNT(*) INTO v_locked
  FROM products p
  JOIN place_order_lines l ON l.product_id = p.product_id
  WHERE p.is_active = 1
  ORDER BY p.product_id
  FOR UPDATE;
  IF v_locked <> v_requested THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'place_order: an item refers to an unknown or inactive product';
  END IF;

  IF NOT EXISTS (SELECT 1 FROM customers WHERE customer_id = p_customer_id AND is_active = 1) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'place_order: unknown or inactive customer';
  END IF;
  IF (p_shipping_address_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM addresses WHERE address_id = p_shipping_address_id
          AND customer_id = p_customer_id AND address_type = 'shipping'))
     OR (p_billing_address_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM addresses WHERE address_id = p_billing_address_id
          AND customer_id = p_customer_id AND address_type = 'billing')) THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'place_order: the addresses must be the customer''s own shipping and billing addresses';
  END IF;

  SELECT l.product_id, COALESCE(SUM(m.quantity), 0)
    INTO v_short_product, v_short_stock
  FROM place_order_lines l
  LEFT JOIN inventory_movements m ON m.product_id = l.product_id
  GROUP BY l.product_id, l.quantity
  HAVING COALESCE(SUM(m.quantity), 0) < l.quantity
  ORDER BY l.product_id
  LIMIT 1;
  IF v_short_product IS NOT NULL THEN
    SET v_message = CONCAT('place_order: insufficient stock for product ', v_short_product,
                           ' (', v_short_stock, ' on hand)');
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
  END IF;

  SELECT SUM(l.quantity * p.price) INTO v_subtotal
  FROM place_order_lines l JOIN products p ON p.product_id = l.product_id;
  IF COALESCE(p_discount_amount, 0) > v_subtotal THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'place_order: the discount is larger than the subtotal';
  END IF;

  INSERT INTO orders (customer_id, status, billing_address_id, shipping_address_id, ordered_at)
  VALUES (p_customer_id, 'pending', p_billing_address_id, p_shipping_address_id, NOW());
  SET p_order_id = LAST_INSERT_ID();

  INSERT INTO order_items (order_id, product_id, quantity, unit_price, discount_amount, line_total)
  SELECT p_order_id, p.product_id, l.quantity, p.price, 0, l.quantity * p.price
  FROM place_order_lines l
  JOIN products p ON p.product_id = l.product_id;

  INSERT INTO inventory_movements (product_id, quantity, reason, reference_type, reference_id, moved_at)
  SELECT l.product_id, -l.quantity, 'sale', 'order', p_order_id, NOW()
  FROM place_order_lines l;

  -- One UPDATE sets all amounts so ck_orders_total holds after every statement.
  UPDATE orders o
  JOIN (SELECT SUM(line_total) AS subtotal FROM order_items WHERE order_id = p_order_id) s
  SET o.subtotal        = s.subtotal,
      o.discount_amount = COALESCE(p_discount_amount, 0),
      o.tax_amount      = ROUND((s.subtotal - COALESCE(p_discount_amount, 0)) * COALESCE(p_tax_rate, 0), 2),
      o.shipping_amount = COALESCE(p_shipping_amount, 0),
      o.total_amount    = s.subtotal - COALESCE(p_discount_amount, 0)
                          + ROUND((s.subtotal - COALESCE(p_discount_amount, 0)) * COALESCE(p_tax_rate, 0), 2)
                          + COALESCE(p_shipping_amount, 0)
  WHERE o.order_id = p_order_id;

  COMMIT;
  END work;

  DROP TEMPORARY TABLE IF EXISTS place_order_lines;
  -- Also as a result set, so clients without OUT-parameter support (or a pooled connection that
  -- cannot read @variables back reliably) get the id from the CALL itself.
  SELECT p_order_id AS order_id;
END$$

DROP PROCEDURE IF EXISTS cancel_order$$
CREATE PROCEDURE cancel_order(IN p_order_id BIGINT UNSIGNED)
  MODIFIES SQL DATA
  SQL SECURITY INVOKER
  COMMENT 'Cancel an order that has not shipped: status, timestamp, stock back via movements'
BEGIN
  DECLARE v_status VARCHAR(16);
  DECLARE v_locked INT;

  IF session_in_transaction() = 1 THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'cancel_order manages its own transaction: call it outside an open transaction';
  END IF;

  work: BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;

  SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
  START TRANSACTION;

  SELECT status INTO v_status FROM orders WHERE order_id = p_order_id FOR UPDATE;
  IF v_status IS NULL THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'cancel_order: unknown order';
  END IF;
  IF v_status NOT IN ('pending', 'paid') THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'cancel_order: only pending or paid orders can be cancelled (this one has shipped, or is closed)';
  END IF;

  -- Same lock order as place_order (products by id) to avoid deadlocks between the two.
  SELECT COUNT(*) INTO v_locked
  FROM products p
  JOIN order_items oi ON oi.product_id = p.product_id AND oi.order_id = p_order_id
  ORDER BY p.product_id
  FOR UPDATE;

  UPDATE orders SET status = 'cancelled', cancelled_at = GREATEST(NOW(), ordered_at)
  WHERE order_id = p_order_id;

  INSERT INTO inventory_movements (product_id, quantity, reason, reference_type, reference_id, moved_at)
  SELECT product_id, quantity, 'cancellation', 'order', p_order_id, NOW()
  FROM order_items
  WHERE order_id = p_order_id;

  COMMIT;
  END work;
END$$

DELIMITER ;
