# The shop's tables and rows: 20,000 products, 100,000 reviews, indexes on what the routes look
# up. perfgate runs it once PostgreSQL is ready (dependencies[].setup), with DATABASE_URL set.
import os

import psycopg2

SQL = """
DROP TABLE IF EXISTS reviews, products;
CREATE TABLE products (id serial PRIMARY KEY, sku text NOT NULL, name text NOT NULL, price_cents int NOT NULL);
INSERT INTO products (sku, name, price_cents)
  SELECT 'SKU-' || lpad(i::text, 6, '0'), 'Product ' || i, 100 + (i * 37) % 9900 FROM generate_series(1, 20000) i;
CREATE UNIQUE INDEX products_sku ON products (sku);
CREATE TABLE reviews (id serial PRIMARY KEY, product_id int NOT NULL REFERENCES products (id), stars int NOT NULL);
INSERT INTO reviews (product_id, stars)
  SELECT 1 + (i * 7919) % 20000, 1 + (i * 31) % 5 FROM generate_series(1, 100000) i;
CREATE INDEX reviews_product ON reviews (product_id);
ANALYZE;
"""

with psycopg2.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor() as cur:
    cur.execute(SQL)
print("seeded: 20000 products, 100000 reviews")
