from blockscore.exceptions import DomainError


class ProductUnavailable(DomainError):
    code = "product_unavailable"
    status_code = 422
    default_detail = "This loan product does not exist or is not offered."


class AmountOutsideProduct(DomainError):
    code = "amount_outside_product"
    status_code = 422
    default_detail = "The amount is outside the product's limits."


class TermOutsideProduct(DomainError):
    code = "term_outside_product"
    status_code = 422
    default_detail = "The term is outside the product's limits."
