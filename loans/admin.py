from django.contrib import admin

from blockscore import money
from loans.models import LoanProduct
from loans.services import product_save


@admin.register(LoanProduct)
class LoanProductAdmin(admin.ModelAdmin):
    """Products are switched off, never deleted; every save goes through product_save (audited)."""

    list_display = ["code", "name", "currency", "amount_range", "term_range", "annual_rate_percent", "is_active"]
    list_filter = ["is_active", "currency", "interest_method", "frequency"]
    search_fields = ["code", "name"]
    readonly_fields = ["updated_at", "updated_by"]
    fieldsets = [
        (None, {"fields": ["code", "name", "description", "currency", "is_active"]}),
        ("Limits", {"fields": ["min_amount_minor", "max_amount_minor", "min_term", "max_term"]}),
        (
            "Pricing",
            {"fields": ["interest_method", "frequency", "annual_rate_percent", "origination_fee_percent"]},
        ),
        ("Late payment", {"fields": ["late_fee_minor", "late_fee_percent", "grace_days"]}),
        (
            "Underwriting",
            {"fields": ["min_score", "max_debt_to_income_percent", "second_approval_above_minor"]},
        ),
        ("Changed", {"fields": ["updated_at", "updated_by"]}),
    ]

    @admin.display(description="amounts")
    def amount_range(self, product):
        low = money.format_amount(product.min_amount, product.currency)
        return f"{low}–{money.format_amount(product.max_amount, product.currency)}"

    @admin.display(description="installments")
    def term_range(self, product):
        return f"{product.min_term}–{product.max_term} {product.frequency}"

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        product_save(obj, actor=request.user)


# Console pages kept in their own modules, registered on import.
from loans import admin_applications, admin_loans  # noqa: E402,F401
