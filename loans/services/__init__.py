from loans.services.applications import application_cancel, application_create, application_submit
from loans.services.decisions import DECLINE_REASONS, application_approve, application_decline
from loans.services.disbursement import application_accept
from loans.services.products import product_save
from loans.services.quotes import Quote, loan_quote
from loans.services.repayments import collections_run, repayment_make
from loans.services.servicing import servicing_run
from loans.services.writeoffs import write_off_approve, write_off_propose, write_off_reject

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
    "collections_run",
    "repayment_make",
    "servicing_run",
    "write_off_approve",
    "write_off_propose",
    "write_off_reject",
]
