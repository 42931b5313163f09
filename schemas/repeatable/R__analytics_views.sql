-- The analytics views named in the blueprint. They read the OLTP tables directly, so they are
-- always current (the reporting tables filled by the ETL are the fast, precomputed side).
-- "Revenue" everywhere means orders that were neither cancelled nor returned.

CREATE OR REPLACE SQL SECURITY INVOKER VIEW customer_segment_distribution AS
SELECT
  c.segment,
  COUNT(*) AS customer_count,
  ROUND(100 * COUNT(*) / SUM(COUNT(*)) OVER (), 2) AS percentage,
  SUM(COALESCE(s.order_count, 0)) AS order_count,
  CAST(SUM(COALESCE(s.revenue, 0)) AS DECIMAL(14,2)) AS total_revenue,
  CAST(SUM(COALESCE(s.revenue, 0)) / COUNT(*) AS DECIMAL(12,2)) AS avg_revenue_per_customer,
  CAST(AVG(COALESCE(s.order_count, 0)) AS DECIMAL(10,2)) AS avg_orders_per_customer
FROM customers c
LEFT JOIN (
  SELECT customer_id, COUNT(*) AS order_count, SUM(total_amount) AS revenue
  FROM orders
  WHERE status NOT IN ('cancelled', 'returned')
  GROUP BY customer_id
) s ON s.customer_id = c.customer_id
GROUP BY c.segment;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW top_performing_products AS
SELECT
  p.product_id,
  p.sku,
  p.name AS product_name,
  c.name AS category_name,
  COUNT(*) AS order_count,
  SUM(oi.quantity) AS units_sold,
  CAST(SUM(oi.line_total) AS DECIMAL(14,2)) AS revenue,
  -- Margin at today's cost: products keep no cost history.
  CAST(SUM(oi.line_total - oi.quantity * p.cost) AS DECIMAL(14,2)) AS gross_margin,
  CAST(100 * SUM(oi.line_total - oi.quantity * p.cost) / NULLIF(SUM(oi.line_total), 0) AS DECIMAL(7,2))
    AS margin_pct,
  RANK() OVER (ORDER BY SUM(oi.line_total) DESC) AS revenue_rank
FROM order_items oi
JOIN orders o ON o.order_id = oi.order_id AND o.status NOT IN ('cancelled', 'returned')
JOIN products p ON p.product_id = oi.product_id
JOIN categories c ON c.category_id = p.category_id
GROUP BY p.product_id, p.sku, p.name, c.name
ORDER BY revenue DESC;

-- Stock on hand is the sum of the product's movements. A correlated subquery (not a derived
-- GROUP BY) so that a filter on one product reads only its entries in the covering index
-- ix_inventory_movements_product (product_id, quantity).
CREATE OR REPLACE SQL SECURITY INVOKER VIEW product_inventory AS
SELECT
  s.product_id,
  s.sku,
  s.product_name,
  s.category_name,
  s.is_active,
  s.stock_on_hand,
  s.reorder_level,
  CASE
    WHEN s.stock_on_hand <= 0 THEN 'out_of_stock'
    WHEN s.stock_on_hand <= s.reorder_level THEN 'reorder'
    ELSE 'in_stock'
  END AS stock_status,
  CAST(GREATEST(s.stock_on_hand, 0) * s.cost AS DECIMAL(14,2)) AS stock_value
FROM (
  SELECT
    p.product_id,
    p.sku,
    p.name AS product_name,
    c.name AS category_name,
    p.is_active,
    p.reorder_level,
    p.cost,
    CAST(COALESCE((SELECT SUM(m.quantity) FROM inventory_movements m WHERE m.product_id = p.product_id), 0)
         AS SIGNED) AS stock_on_hand
  FROM products p
  JOIN categories c ON c.category_id = p.category_id
) s;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW monthly_sales_trend AS
SELECT
  t.sales_month,
  t.order_count,
  t.cancelled_orders,
  t.returned_orders,
  t.unique_customers,
  t.revenue,
  t.avg_order_value,
  LAG(t.revenue) OVER (ORDER BY t.sales_month) AS previous_month_revenue,
  CAST(100 * (t.revenue - LAG(t.revenue) OVER (ORDER BY t.sales_month))
       / NULLIF(LAG(t.revenue) OVER (ORDER BY t.sales_month), 0) AS DECIMAL(9,2)) AS revenue_growth_pct
FROM (
  SELECT
    CAST(DATE_FORMAT(ordered_at, '%Y-%m-01') AS DATE) AS sales_month,
    COUNT(*) AS order_count,
    SUM(status = 'cancelled') AS cancelled_orders,
    SUM(status = 'returned') AS returned_orders,
    COUNT(DISTINCT customer_id) AS unique_customers,
    CAST(SUM(CASE WHEN status NOT IN ('cancelled', 'returned') THEN total_amount ELSE 0 END)
         AS DECIMAL(14,2)) AS revenue,
    CAST(AVG(CASE WHEN status NOT IN ('cancelled', 'returned') THEN total_amount END)
         AS DECIMAL(12,2)) AS avg_order_value
  FROM orders
  GROUP BY CAST(DATE_FORMAT(ordered_at, '%Y-%m-01') AS DATE)
) t
ORDER BY t.sales_month;

-- Every category with its depth and full path, root first ("Electronics > Audio > Headphones").
-- For one subtree, see docs/schema.md (the same recursive CTE started from one category).
CREATE OR REPLACE SQL SECURITY INVOKER VIEW category_tree AS
WITH RECURSIVE tree AS (
  SELECT category_id, parent_id, name, slug, 0 AS depth,
         CAST(name AS CHAR(1000)) AS path,
         CAST(LPAD(category_id, 10, '0') AS CHAR(1000)) AS sort_path
  FROM categories
  WHERE parent_id IS NULL
  UNION ALL
  SELECT c.category_id, c.parent_id, c.name, c.slug, t.depth + 1,
         CONCAT(t.path, ' > ', c.name),
         CONCAT(t.sort_path, '/', LPAD(c.category_id, 10, '0'))
  FROM categories c
  JOIN tree t ON c.parent_id = t.category_id
)
SELECT category_id, parent_id, name, slug, depth, path, sort_path
FROM tree;
