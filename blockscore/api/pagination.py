from rest_framework import pagination
from rest_framework.exceptions import NotFound

from blockscore.exceptions import ValidationFailed


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class CursorPagination(pagination.CursorPagination):
    """For long, growing lists (transactions): stable pages while rows are added."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-posted_at", "-id")

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:  # a malformed cursor is bad input, not a missing page
            raise ValidationFailed("The cursor is not valid.", code="invalid_cursor") from exc
