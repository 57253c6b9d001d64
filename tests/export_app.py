"""A small app on the demo shop for the date-range, row-style and export tests (not in apps/)."""

from __future__ import annotations

from flask import Flask

from builder.security import grants as access
from builder.security.users import require_user
from builder.store import apps as app_records

SLUG = "orders-export"

SOURCE = """\
format: 1
app: orders-export
title: 订单导出
pages:
  - name: orders
    widgets:
      - name: dates
        type: daterange
        at: [0, 0, 7, 1]
        label: 下单日期
        required: true
        start: "2000-01-01"
        end: "2100-12-31"
        presets: [today, last7days, thisMonth]
        onChange: [{run: getOrders}]
      - name: exportButton
        type: button
        at: [7, 0, 2, 1]
        label: 导出 CSV
        variant: secondary
        onClick:
          - {export: getOrders, format: csv, filename: "orders-<<dates.start>>.csv",
             onSuccess: [{toast: 已导出, kind: success}]}
      - name: ordersTable
        type: table
        at: [0, 1, 12, 9]
        data: <<getOrders.data>>
        pageSize: 10
        filterable: true
        defaultSort: {column: id, dir: asc}
        rowStyles:
          - {when: "<<row.status == 'cancelled'>>", tone: muted}
          - {when: "<<row.amount >= 500>>", tone: danger}
        columns:
          - {key: id, label: 订单号, format: number}
          - {key: customer_name, label: 客户}
          - {key: amount, label: 金额, format: number}
          - {key: status, label: 状态}
          - {key: created_at, label: 下单时间, format: datetime}
          - {key: phone, label: 电话, hidden: true}
queries:
  getOrders:
    datasource: shop
    runOnLoad: true
    sql: |
      SELECT id, customer_name, amount, status, created_at, phone
      FROM   orders
      WHERE  created_at >= <<dates.start>> AND created_at < <<dates.endExclusive>>
  everything:
    datasource: shop
    sql: SELECT * FROM orders
  touch:
    datasource: shop
    sql: UPDATE orders SET version = version + 1 WHERE id = -1
"""


def publish_export_app(app: Flask, *, source: str = SOURCE, grant_to: str = "ops") -> None:
    """Save and publish the app and grant it to ``grant_to``."""
    tc = app.extensions["toolcrib"]
    with tc.store.session() as session:
        version = app_records.save_version(session, slug=SLUG, title="订单导出", source=source)
        app_records.publish(session, version)
        access.grant(session, access.app_by_slug(session, SLUG),
                     user_id=require_user(session, grant_to).id)
