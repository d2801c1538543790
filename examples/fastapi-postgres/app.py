# A small shop on FastAPI in front of PostgreSQL and Redis, as many Python services are built:
# sync routes (FastAPI runs them in its thread pool) over a psycopg2 connection pool, a Redis
# cache in front of the product page, and one async route (a view counter in Redis, awaited on
# the event loop). perfgate starts PostgreSQL and Redis as dependencies
# (perfgate.yml) and gives this app DATABASE_URL and REDIS_URL.
import json
import os

import psycopg2.pool
import redis
import redis.asyncio
from fastapi import FastAPI, HTTPException

app = FastAPI()
# minconn is what the pool keeps: psycopg2 closes a connection returned beyond it, and the next
# request would wait for PostgreSQL to start a backend for a new one.
db = psycopg2.pool.ThreadedConnectionPool(8, 16, os.environ["DATABASE_URL"])
cache = redis.Redis.from_url(os.environ["REDIS_URL"])
counters = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"])
PAGE = 20


def query(sql, args=()):
    conn = db.getconn()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            rows = cur.fetchall()
        conn.commit()
        return rows
    finally:
        db.putconn(conn)


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/products")
def products(page: int = 1):
    """A page of products with their average stars, in one query."""
    first = (page - 1) * PAGE + 1
    rows = query(
        "SELECT p.id, p.sku, p.name, p.price_cents, coalesce(avg(r.stars), 0) "
        "FROM products p LEFT JOIN reviews r ON r.product_id = p.id "
        "WHERE p.id BETWEEN %s AND %s GROUP BY p.id ORDER BY p.id",
        (first, first + PAGE - 1),
    )
    return [{"id": r[0], "sku": r[1], "name": r[2], "price": r[3] / 100, "stars": round(float(r[4]), 2)} for r in rows]


@app.get("/products/{product_id}")
def product(product_id: int):
    """The product page: from the cache, else from the database (kept for a minute)."""
    key = f"product:{product_id}"
    hit = cache.get(key)
    if hit is not None:
        return json.loads(hit)
    rows = query("SELECT id, sku, name, price_cents FROM products WHERE id = %s", (product_id,))
    if not rows:
        raise HTTPException(status_code=404)
    r = rows[0]
    body = {"id": r[0], "sku": r[1], "name": r[2], "price": r[3] / 100}
    cache.set(key, json.dumps(body), ex=60)
    return body


@app.get("/search")
def search(sku: str):
    """Find a product by its SKU (an index serves it)."""
    rows = query("SELECT id, sku, name, price_cents FROM products WHERE sku = %s", (sku.upper(),))
    return [{"id": r[0], "sku": r[1], "name": r[2], "price": r[3] / 100} for r in rows]


@app.post("/products/{product_id}/views")
async def view(product_id: int):
    """Count a view of the product (async: awaited on the event loop, no thread)."""
    views = await counters.incr(f"views:{product_id}")
    return {"id": product_id, "views": views}
