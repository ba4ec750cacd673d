"""Spreadsheet-safe CSV: cells that cannot run as formulas when an admin opens a download in a spreadsheet."""

import csv
import io
from collections.abc import Iterable

# A cell starting with one of these would be read as a formula (or a formula after a tab or line break).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text, with a leading ' when it would otherwise start a formula (OWASP's CSV injection). A text
    that already starts with ' gets one too, so taking one leading ' off any cell gives back exactly what was
    written (a member's diary read back from its CSV is their own words)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS or text[:1] == "'" else text


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """A whole CSV file as text, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
