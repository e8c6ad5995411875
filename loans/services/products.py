"""Loan products are kept by staff in the console; every save is audited."""

from django.db import transaction

from audit.services import audit_event_record
from loans.models import LoanProduct

_AUDITED = [
    field.name for field in LoanProduct._meta.concrete_fields if field.name not in ("id", "updated_at", "updated_by")
]


@transaction.atomic
def product_save(product: LoanProduct, *, actor) -> LoanProduct:
    """Validate and save ``product``; the audit event names each changed term, before and after."""
    before = LoanProduct.objects.select_for_update().filter(pk=product.pk).first() if product.pk else None
    product.full_clean()
    product.updated_by = actor
    product.save()
    changes = {
        name: {"before": _plain(getattr(before, name)) if before else None, "after": _plain(getattr(product, name))}
        for name in _AUDITED
        if before is None or getattr(before, name) != getattr(product, name)
    }
    audit_event_record(action="loans.product_saved", actor=actor, target=product, changes=changes)
    return product


def _plain(value):
    return value if isinstance(value, (int, bool, type(None))) else str(value)
