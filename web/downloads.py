"""Files the browser downloads: CSV tables, written by the one guarded CSV writer."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

from callcenter.reporting.exports import csv_text


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    return Response(csv_text(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
