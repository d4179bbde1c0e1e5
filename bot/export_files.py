"""Writes a case export to a file, CSV or XLSX, row by row, within a size bound.

Cases arrive as an async stream (storage/export.py pages them by key), and each row is written
as it comes: CSV through the csv module, XLSX through XlsxWriter in constant-memory mode, which
flushes every finished row to disk. So a million cases never sit in memory at once.

Money in XLSX is a numeric cell formatted with two decimals (`0.00`), so a spreadsheet can add it
up. Spreadsheet numbers are binary doubles, so the cell holds float(Decimal): every amount of up to
15 significant digits (9,999,999,999,999.99 yuan) reads back as exactly the same decimal, which
covers any real refund; the CSV carries the same amounts as exact decimal text. Text is always
written as text (XlsxWriter's guessing of formulas, numbers and links is switched off), and
`cases.export.guard` has already put an apostrophe before anything formula-like.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from cases.export import COLUMNS, Cell, ExportFormat, row, text_cells
from cases.model import Case


@dataclass(frozen=True)
class Written:
    rows: int
    truncated: bool  # the size bound was reached: later cases were left out
    size: int  # bytes on disk


class _Sheet(Protocol):
    def add(self, cells: Sequence[Cell]) -> None: ...

    def close(self) -> None: ...


class _CsvSheet:
    def __init__(self, path: Path) -> None:
        self._file = path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)

    def add(self, cells: Sequence[Cell]) -> None:
        self._writer.writerow(text_cells(cells))

    def close(self) -> None:
        self._file.close()


class _XlsxSheet:
    def __init__(self, path: Path) -> None:
        # Loaded with the first spreadsheet: importing it at start-up cost 9 MB and 60 ms for
        # a file format most processes never write.
        import xlsxwriter

        self._book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self._sheet = self._book.add_worksheet("cases")
        self._money = self._book.add_format({"num_format": "0.00"})
        self._row = 0

    def add(self, cells: Sequence[Cell]) -> None:
        for column, cell in enumerate(cells):
            if isinstance(cell, Decimal):
                self._sheet.write_number(self._row, column, float(cell), self._money)
            elif isinstance(cell, int):
                self._sheet.write_number(self._row, column, cell)
            elif cell is not None:
                self._sheet.write_string(self._row, column, cell)
        self._row += 1

    def close(self) -> None:
        self._book.close()


def _open(path: Path, fmt: ExportFormat) -> _Sheet:
    return _XlsxSheet(path) if fmt is ExportFormat.XLSX else _CsvSheet(path)


async def write_export(
    cases: AsyncGenerator[Case, None],
    path: Path,
    fmt: ExportFormat,
    tz: ZoneInfo,
    *,
    mask_buyer: bool = False,
    max_bytes: int | None = None,
) -> Written:
    """Writes the header and a line per case to `path`; stops before `max_bytes` of data.

    The bound counts the bytes of the cells as text. A CSV file is that size; an XLSX file is a
    zip of XML that compresses to well under it, so a bound below Telegram's 50 MB upload limit
    holds for both.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet = _open(path, fmt)
    header: list[Cell] = list(COLUMNS)
    used, written, truncated = _size(header), 0, False
    try:
        sheet.add(header)
        async with aclosing(cases):
            async for case in cases:
                cells = row(case, tz, mask_buyer=mask_buyer)
                if max_bytes is not None and used + _size(cells) > max_bytes:
                    truncated = True
                    break
                sheet.add(cells)
                used += _size(cells)
                written += 1
    finally:
        sheet.close()
    return Written(written, truncated, await asyncio.to_thread(lambda: path.stat().st_size))


def _size(cells: Sequence[Cell]) -> int:
    """The line's bytes as CSV text: each cell and its separator."""
    return sum(len(cell.encode()) + 1 for cell in text_cells(cells))
