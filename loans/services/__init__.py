from loans.services.applications import application_cancel, application_create, application_submit
from loans.services.decisions import DECLINE_REASONS, application_approve, application_decline
from loans.services.disbursement import application_accept
from loans.services.products import product_save
from loans.services.quotes import Quote, loan_quote

__all__ = [
    "DECLINE_REASONS",
    "application_accept",
    "application_approve",
    "application_decline",
    "Quote",
    "application_cancel",
    "application_create",
    "application_submit",
    "loan_quote",
    "product_save",
]
