"""CSV export of any filtered list: ``GET <list>?format=csv``.

The export streams every row that the list's filters select (not one page), through
the same queryset and filters as the JSON list, so the permission checks are the same.
Cells that a spreadsheet would run as a formula are prefixed with a quote.
"""

import csv
import json
import re
from collections.abc import Iterable

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from blockscore import auditing

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A negative amount is data, not a formula: it stays a number in the spreadsheet.
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def csv_rows(header: list[str], rows: Iterable[list]) -> Iterable[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


FORMAT_PARAMETER = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["json", "csv"], description="`csv` streams every matching row as CSV."
)


def csv_list_schema(serializer, **kwargs):
    """extend_schema for a list that can also answer text/csv."""
    return extend_schema(
        parameters=[FORMAT_PARAMETER],
        responses={200: serializer(many=True), (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
        **kwargs,
    )


def _cell(value):
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return value


class CsvExportMixin:
    """For ListAPIView subclasses: ``?format=csv`` streams the list's serializer fields as
    columns (lists joined with ``;``, objects as JSON); set ``csv_name``."""

    csv_name = "export"

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format") == "csv":
            return self.export_csv(request)
        return super().list(request, *args, **kwargs)

    def export_csv(self, request) -> StreamingHttpResponse:
        queryset = self.filter_queryset(self.get_queryset())
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()
        header = list(serializer_class(context=context).fields)
        rows = (
            [_cell(value) for value in serializer_class(obj, context=context).data.values()]
            for obj in queryset.iterator(chunk_size=2000)
        )
        auditing.record_audit(
            action="audit.exported",
            actor=request.user,
            target_type="export",
            target_id=self.csv_name,
            metadata={"path": request.path, "filters": dict(request.query_params.lists())},
        )
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.csv_name}-{stamp}.csv"'
        return response
