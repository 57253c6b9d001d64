"""The SQL the baselines run: the statements Toolcrib sends for the flagship's two queries.

Toolcrib wraps ``getOrders`` for paging (``SELECT * FROM (<query>) AS q LIMIT :n OFFSET :k``,
asking one row more to know whether there is a next page) and counts the rows for the table's
total; ``updateOrder`` is the flagship's UPDATE with its version check. The Flask endpoint, the
direct SQLAlchemy loop and Datasette's canned queries run these same texts, so every side asks
the database for the same work.
"""

from __future__ import annotations

ORDERS_QUERY = """SELECT id, product_image, product_name, shipping_company,
       shipping_tracking_number, address, version
FROM   orders
WHERE  status = 'paid'"""

PAGE = f"SELECT * FROM (\n{ORDERS_QUERY}\n) AS q\nLIMIT :page_limit OFFSET :page_offset"
COUNT = f"SELECT COUNT(*) FROM (\n{ORDERS_QUERY}\n) AS q"

UPDATE = """UPDATE orders
SET    shipping_company = :company,
       shipping_tracking_number = :num,
       version = version + 1
WHERE  id = :id
  AND  version = :version"""

PAGE_SIZE = 50
