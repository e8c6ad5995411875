from loans.services.products import product_save
from loans.services.quotes import Quote, loan_quote

__all__ = ["Quote", "loan_quote", "product_save"]
