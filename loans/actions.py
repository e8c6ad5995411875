"""The audit actions of the loans app (registered in LoansConfig.ready)."""

ACTIONS = {
    "loans.product_saved": "A loan product was created or its terms changed.",
    "loans.application_created": "A customer started a loan application (draft).",
    "loans.application_submitted": "A loan application was submitted and underwritten automatically.",
    "loans.application_cancelled": "A loan application was cancelled before disbursement.",
}
