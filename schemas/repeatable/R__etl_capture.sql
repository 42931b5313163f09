-- ETL change capture (docs/etl.md): small AFTER triggers that append the keys a write touches to
-- etl_change_log, in the writer's own transaction (a rolled-back write leaves no entry). They
-- record keys only, never amounts: `etl run` recomputes from the tables themselves. Updates that
-- change nothing a report reads (paid_at, phone, stock levels...) record nothing. When a write
-- moves a row to other keys (an order to another customer or day, an item to another order or
-- product), both the old and the new keys are recorded.

DELIMITER $$

DROP TRIGGER IF EXISTS etl_capture_orders_ai$$
CREATE TRIGGER etl_capture_orders_ai AFTER INSERT ON orders FOR EACH ROW
BEGIN
  INSERT INTO etl_change_log (change_id, source, order_id, customer_id, ordered_at)
  VALUES (UUID_SHORT(), 'order', NEW.order_id, NEW.customer_id, NEW.ordered_at);
END$$

DROP TRIGGER IF EXISTS etl_capture_orders_au$$
CREATE TRIGGER etl_capture_orders_au AFTER UPDATE ON orders FOR EACH ROW
BEGIN
  IF NOT (NEW.status <=> OLD.status AND NEW.customer_id <=> OLD.customer_id
          AND NEW.ordered_at <=> OLD.ordered_at AND NEW.subtotal <=> OLD.subtotal
          AND NEW.discount_amount <=> OLD.discount_amount AND NEW.total_amount <=> OLD.total_amount
          AND NEW.order_id <=> OLD.order_id) THEN
    INSERT INTO etl_change_log (change_id, source, order_id, customer_id, ordered_at)
    VALUES (UUID_SHORT(), 'order', NEW.order_id, NEW.customer_id, NEW.ordered_at);
    IF NOT (NEW.customer_id <=> OLD.customer_id AND NEW.ordered_at <=> OLD.ordered_at
            AND NEW.order_id <=> OLD.order_id) THEN
      INSERT INTO etl_change_log (change_id, source, order_id, customer_id, ordered_at)
      VALUES (UUID_SHORT(), 'order', OLD.order_id, OLD.customer_id, OLD.ordered_at);
    END IF;
  END IF;
END$$

DROP TRIGGER IF EXISTS etl_capture_orders_ad$$
CREATE TRIGGER etl_capture_orders_ad AFTER DELETE ON orders FOR EACH ROW
BEGIN
  INSERT INTO etl_change_log (change_id, source, order_id, customer_id, ordered_at)
  VALUES (UUID_SHORT(), 'order', OLD.order_id, OLD.customer_id, OLD.ordered_at);
END$$

-- Item rows carry their order's customer and date (one primary-key lookup of a row the same
-- transaction usually just wrote), so the ETL never has to find a deleted order's keys. When the
-- order is not visible to the writer (a bulk load with foreign_key_checks = 0, or an order another
-- transaction committed after this one's snapshot), the row is still logged, without customer and
-- date, and the ETL looks them up when it drains the log.
DROP TRIGGER IF EXISTS etl_capture_order_items_ai$$
CREATE TRIGGER etl_capture_order_items_ai AFTER INSERT ON order_items FOR EACH ROW
BEGIN
  INSERT INTO etl_change_log (change_id, source, order_id, customer_id, ordered_at, product_id)
  SELECT UUID_SHORT(), 'item', NEW.order_id, o.customer_id, o.ordered_at, NEW.product_id
  FROM (SELECT 1) AS one LEFT JOIN orders o ON o.order_id = NEW.order_id;
END$$

DROP TRIGGER IF EXISTS etl_capture_order_items_au$$
CREATE TRIGGER etl_capture_order_items_au AFTER UPDATE ON order_items FOR EACH ROW
BEGIN
  IF NOT (NEW.order_id <=> OLD.order_id AND NEW.product_id <=> OLD.product_id
          AND NEW.quantity <=> OLD.quantity AND NEW.line_total <=> OLD.line_total) THEN
    INSERT INTO etl_change_log (change_id, source, order_id, customer_id, ordered_at, product_id)
    SELECT UUID_SHORT(), 'item', NEW.order_id, o.customer_id, o.ordered_at, NEW.product_id
    FROM (SELECT 1) AS one LEFT JOIN orders o ON o.order_id = NEW.order_id;
    IF NOT (NEW.order_id <=> OLD.order_id AND NEW.product_id <=> OLD.product_id) THEN
      INSERT INTO etl_change_log (change_id, source, order_id, customer_id, ordered_at, product_id)
      SELECT UUID_SHORT(), 'item', OLD.order_id, o.customer_id, o.ordered_at, OLD.product_id
      FROM (SELECT 1) AS one LEFT JOIN orders o ON o.order_id = OLD.order_id;
    END IF;
  END IF;
END$$

DROP TRIGGER IF EXISTS etl_capture_order_items_ad$$
CREATE TRIGGER etl_capture_order_items_ad AFTER DELETE ON order_items FOR EACH ROW
BEGIN
  INSERT INTO etl_change_log (change_id, source, order_id, customer_id, ordered_at, product_id)
  SELECT UUID_SHORT(), 'item', OLD.order_id, o.customer_id, o.ordered_at, OLD.product_id
  FROM (SELECT 1) AS one LEFT JOIN orders o ON o.order_id = OLD.order_id;
END$$

-- Attributes the reports copy: customer email and name; product sku, name, category and cost
-- (margin uses today's cost); category name.
DROP TRIGGER IF EXISTS etl_capture_customers_au$$
CREATE TRIGGER etl_capture_customers_au AFTER UPDATE ON customers FOR EACH ROW
BEGIN
  IF NOT (NEW.email <=> OLD.email AND NEW.first_name <=> OLD.first_name
          AND NEW.last_name <=> OLD.last_name) THEN
    INSERT INTO etl_change_log (change_id, source, customer_id) VALUES (UUID_SHORT(), 'customer', NEW.customer_id);
  END IF;
END$$

DROP TRIGGER IF EXISTS etl_capture_products_au$$
CREATE TRIGGER etl_capture_products_au AFTER UPDATE ON products FOR EACH ROW
BEGIN
  IF NOT (NEW.sku <=> OLD.sku AND NEW.name <=> OLD.name AND NEW.category_id <=> OLD.category_id
          AND NEW.cost <=> OLD.cost) THEN
    INSERT INTO etl_change_log (change_id, source, product_id) VALUES (UUID_SHORT(), 'product', NEW.product_id);
  END IF;
END$$

DROP TRIGGER IF EXISTS etl_capture_categories_au$$
CREATE TRIGGER etl_capture_categories_au AFTER UPDATE ON categories FOR EACH ROW
BEGIN
  IF NOT (NEW.name <=> OLD.name) THEN
    INSERT INTO etl_change_log (change_id, source, category_id) VALUES (UUID_SHORT(), 'category', NEW.category_id);
  END IF;
END$$

DELIMITER ;
