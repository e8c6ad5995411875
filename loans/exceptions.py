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


class InvalidApplicationState(DomainError):
    code = "invalid_application_state"
    status_code = 409
    default_detail = "The application is not in a state that allows that."


class KycNotApproved(DomainError):
    code = "kyc_not_approved"
    status_code = 422
    default_detail = "Verify your identity (KYC) before applying for a loan."


class ComplianceHold(DomainError):
    code = "compliance_hold"
    status_code = 422
    default_detail = "We cannot take a loan application from this account at the moment."


class OwnApplication(DomainError):
    code = "own_application"
    status_code = 403
    default_detail = "Nobody decides their own loan application."


class SecondApproverRequired(DomainError):
    code = "second_approver_required"
    status_code = 403
    default_detail = "Above this product's threshold a second, different loan officer must approve."


class NotALoanOfficer(DomainError):
    code = "permission_denied"
    status_code = 403
    default_detail = "Deciding loan applications needs the loan officer role."


class WalletCurrencyMismatch(DomainError):
    code = "wallet_currency_mismatch"
    status_code = 422
    default_detail = "The loan is paid out in its product's currency: choose a wallet in that currency."


class LoanNotOpen(DomainError):
    code = "loan_not_open"
    status_code = 409
    default_detail = "This loan is paid off or written off."


class Overpayment(DomainError):
    code = "overpayment"
    status_code = 422
    default_detail = "That is more than the loan's payoff amount: we do not keep credit balances on loans."


class InvalidValueDate(DomainError):
    code = "invalid_value_date"
    status_code = 422
    default_detail = "The value date must be between the loan's disbursement and today."


class WriteOffState(DomainError):
    code = "invalid_write_off_state"
    status_code = 409
    default_detail = "The loan is not in a state that allows that."


class OwnWriteOff(DomainError):
    code = "own_write_off"
    status_code = 403
    default_detail = "A write-off needs a second loan officer: nobody approves their own proposal."


class RepaymentAlreadyRecorded(DomainError):
    code = "repayment_already_recorded"
    status_code = 409
    default_detail = "A repayment with this bank reference is already recorded."


class ReferenceRequired(DomainError):
    code = "reference_required"
    status_code = 422
    default_detail = "A repayment received outside the platform needs its bank reference."
