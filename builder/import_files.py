"""Reading an uploaded spreadsheet: a CSV or an Excel ``.xlsx`` file -> header and rows.

Both give the rows as the user sees them: line 1 is the header, line 2 the first data row (for a
CSV, a record whose quoted text spans several physical lines still counts as one line, as a
spreadsheet shows it). Blank rows are skipped but still counted, so the line numbers of a report
match the file.

* CSV: UTF-8 (with or without the byte-order mark Excel writes), else GB18030 (a superset of
  GBK, what Excel on a Chinese Windows saves); comma-separated, or tab-separated when the
  header has tabs and no commas.
* XLSX: the first worksheet, read streaming by openpyxl (``read_only``), values only (a
  formula gives the value Excel last calculated). The old binary ``.xls`` is not read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from datasources.base import QueryInputError

#: File types an import reads, by extension.
FILE_TYPES = (".csv", ".xlsx")
#: At most this many columns are read per row (a sheet with stray cells far to the right).
MAX_COLUMNS = 200


class FileRefused(QueryInputError):
    """The file itself cannot be imported (type, size, encoding, layout): a 400."""

    code = "bad_file"


@dataclass(frozen=True)
class Sheet:
    """A file's header (line 1) and its non-blank data rows as ``(line, cells)``."""

    header: list[str]
    rows: list[tuple[int, list[Any]]]


def extension_of(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot >= 0 else ""


def read_sheet(filename: str, data: bytes, *, max_rows: int) -> Sheet:
    """The header and rows of ``data``; raises :class:`FileRefused` with a readable reason."""
    ext = extension_of(filename)
    if ext == ".csv":
        lines = _csv_lines(data)
    elif ext == ".xlsx":
        lines = _xlsx_lines(data)
    else:
        raise FileRefused(f"{filename!r} is not a CSV or Excel (.xlsx) file")
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for line, cells in lines:
        cells = list(cells[:MAX_COLUMNS])
        if header is None:
            if line != 1 or _blank_row(cells):
                raise FileRefused("line 1 must be the header: the column names")
            header = [_text(c) for c in cells]
            continue
        if _blank_row(cells):
            continue
        if len(rows) >= max_rows:
            raise FileRefused(f"the file has more than {max_rows} rows; split it into smaller "
                              "files")
        rows.append((line, cells))
    if header is None:
        raise FileRefused("the file is empty")
    if not rows:
        raise FileRefused("the file has a header but no rows to import")
    return Sheet(header=header, rows=rows)


def _blank_row(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell).strip().lstrip("\ufeff").strip()


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not), else GB18030/GBK; a file in neither is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused("the file is UTF-16 text: save it as “CSV UTF-8” or as .xlsx")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileRefused("the file is neither UTF-8 nor GBK text: save it as “CSV UTF-8” or "
                          "as .xlsx") from None


def _csv_lines(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = decode_text(data)
    if "\x00" in text:
        raise FileRefused("the file is not a text CSV file (it holds binary data)")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise FileRefused(f"line {reader.line_num}: the CSV cannot be read: {exc}") from None


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise FileRefused("the file is not a valid Excel .xlsx workbook") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise FileRefused("the workbook has no worksheet")
        for index, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield index, list(values)  # noqa: UP028 - tuples to lists
    finally:
        book.close()
