"""The audit actions of the loans app (registered in LoansConfig.ready)."""

ACTIONS = {
    "loans.product_saved": "A loan product was created or its terms changed.",
}
