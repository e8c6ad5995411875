"""The audit actions of the loans app (registered in LoansConfig.ready)."""

ACTIONS = {
    "loans.product_saved": "A loan product was created or its terms changed.",
    "loans.application_created": "A customer started a loan application (draft).",
    "loans.application_submitted": "A loan application was submitted and underwritten automatically.",
    "loans.application_cancelled": "A loan application was cancelled before disbursement.",
    "loans.application_first_approval": "A loan officer gave the first of two approvals (above the threshold).",
    "loans.application_approved": "A loan officer approved a referred application (as asked or as a counter-offer).",
    "loans.application_declined": "A loan officer declined a referred application, with reasons.",
    "loans.application_accepted": "The customer accepted an approved offer.",
    "loans.loan_disbursed": "A loan was paid out to the customer's wallet and its schedule fixed.",
}
