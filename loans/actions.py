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
    "loans.repayment_recorded": "A repayment was received (wallet, collection or external) and allocated.",
    "loans.loan_paid_off": "A loan was repaid in full.",
    "loans.loan_defaulted": "The servicing job marked a loan defaulted (days past due reached the product's limit).",
    "loans.loan_cured": "A defaulted loan was brought current and is active again.",
    "loans.write_off_proposed": "A loan officer proposed writing a loan off.",
    "loans.write_off_rejected": "A proposed write-off was rejected by another loan officer.",
    "loans.loan_written_off": "A second loan officer approved a write-off; the loan is written off in the ledger.",
}
