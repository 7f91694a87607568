"""Files the browser downloads: CSV tables (written by the one guarded CSV writer) and stored files."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from flask import Response, send_file

from callcenter.reporting.exports import csv_text


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    return Response(csv_text(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def private_file(path: Path, mimetype: str, filename: str) -> Response:
    """A stored file as a download that no cache keeps (a customer's attachment, an export)."""
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
