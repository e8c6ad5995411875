"""The API's filter backend: django-filter, with date-times normalised to UTC.

django-filter hands an aware ``datetime`` to the query with the offset the client
wrote. Python accepts offsets up to ±23:59; PostgreSQL refuses anything past ±15:59
("time zone displacement out of range"), so ``?joined_after=2024-01-01T00:00:00+22:00``
was a 500 on PostgreSQL and fine on SQLite. Every filtered date-time is converted to
UTC here, once for every list; one that cannot be (year 1 or 9999 pushed past the
calendar by its offset) is a 400 naming the parameter.
"""

from datetime import UTC, datetime

from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


def _to_utc(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, slice):  # range filters clean to a slice of two date-times
        return slice(_to_utc(value.start), _to_utc(value.stop), value.step)
    return value


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        cleaned = filterset.form.cleaned_data
        errors = {}
        for name, value in cleaned.items():
            try:
                cleaned[name] = _to_utc(value)
            except (OverflowError, ValueError):
                errors[name] = ["Date-time out of range."]
        if errors:
            raise ValidationError(errors)
        return filterset.qs
