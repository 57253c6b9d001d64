"""The floor: the same statements through SQLAlchemy in a loop, no HTTP.

``python -m bench.direct URL WORKLOAD SECONDS [ROWS]`` prints one JSON line: operations done,
wall seconds and CPU milliseconds per operation. Reads fetch a page (and the count for
``read``), turn rows into dicts and encode JSON, like the Flask endpoint; writes update distinct
rows at version 1 (the harness resets versions before), one transaction each, and stop when
every row has been updated once.
"""

from __future__ import annotations

import json
import sys
import time

from sqlalchemy import create_engine, text

from bench import statements
from bench.workloads import row_ids


def main(argv: list[str]) -> int:
    url, workload, seconds = argv[0], argv[1], float(argv[2])
    rows = int(argv[3]) if len(argv) > 3 else 0
    engine = create_engine(url)
    page, count, update = (text(statements.PAGE), text(statements.COUNT),
                           text(statements.UPDATE))
    params = {"page_limit": statements.PAGE_SIZE + 1, "page_offset": 0}
    ids = row_ids(rows, start=0, step=1) if workload == "write" else None
    done, conflicts = 0, 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    deadline = wall0 + seconds
    while time.perf_counter() < deadline and (ids is None or done < rows):
        if ids is None:
            with engine.connect() as conn:
                found = [dict(r) for r in conn.execute(page, params).mappings()]
                total = conn.execute(count).scalar_one() if workload == "read" else None
            json.dumps({"rows": found[:statements.PAGE_SIZE], "total": total})
        else:
            row_id = next(ids)
            with engine.connect() as conn:
                trans = conn.begin()
                changed = conn.execute(update, {"company": "SF", "num": f"SF{row_id:012d}",
                                                "id": row_id, "version": 1}).rowcount
                if changed == 1:
                    trans.commit()
                else:
                    trans.rollback()
                    conflicts += 1
        done += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    engine.dispose()
    print(json.dumps({"ops": done, "seconds": wall, "cpu_ms_per_op": cpu * 1000 / max(done, 1),
                      "conflicts": conflicts}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
