from loans.services.applications import application_cancel, application_create, application_submit
from loans.services.products import product_save
from loans.services.quotes import Quote, loan_quote

__all__ = [
    "Quote",
    "application_cancel",
    "application_create",
    "application_submit",
    "loan_quote",
    "product_save",
]
