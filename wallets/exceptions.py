from blockscore.exceptions import Conflict, DomainError, ValidationFailed


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    status_code = 422
    default_detail = "The wallet does not have enough available funds."


class AccountNotActive(DomainError):
    code = "account_not_active"
    status_code = 422
    default_detail = "The account is frozen or closed."


class UnbalancedEntry(ValueError):
    """Postings that do not sum to zero per currency: a programming error, never user input."""


class EntryAlreadyReversed(Conflict):
    code = "entry_already_reversed"
    default_detail = "This entry has already been reversed."


class CannotReverseReversal(ValidationFailed):
    code = "cannot_reverse_reversal"
    default_detail = "A reversal cannot itself be reversed; post a new entry instead."


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"
    status_code = 422
    default_detail = "This idempotency key was already used for a different entry."


class TransferRefused(DomainError):
    """Raised by a registered pre-transfer check; ``code`` says which rule refused."""

    code = "transfer_refused"
    status_code = 422
    default_detail = "The transfer is not allowed."


class WalletExists(Conflict):
    code = "wallet_exists"
    default_detail = "You already have a wallet in this currency."


class RecipientNotFound(DomainError):
    code = "recipient_not_found"
    status_code = 422
    default_detail = "No customer wallet matches this recipient."


class TransferToSelf(ValidationFailed):
    code = "transfer_to_self"
    default_detail = "You cannot transfer to the same wallet."


class CurrencyMismatch(ValidationFailed):
    code = "currency_mismatch"
    default_detail = "The recipient's wallet is in another currency."


class WalletNotFound(DomainError):
    code = "wallet_not_found"
    status_code = 422
    default_detail = "You have no wallet in this currency."


class LimitExceeded(DomainError):
    code = "limit_exceeded"
    status_code = 422
    default_detail = "The transfer is over your limit."


class WeakPin(ValidationFailed):
    code = "weak_pin"
    default_detail = "This PIN is too easy to guess (a repeated digit or pattern, or a run like 1234)."


class PinNotSet(Conflict):
    code = "pin_not_set"
    default_detail = "You have not set a withdrawal PIN."


class PinRequired(DomainError):
    code = "pin_required"
    status_code = 422
    default_detail = "Enter your withdrawal PIN."


class InvalidPin(ValidationFailed):
    code = "invalid_pin"
    default_detail = "The withdrawal PIN is not correct."


class PinLocked(DomainError):
    """Not a cool-off (hence 423, not 429 with Retry-After): the PIN stays locked until
    the customer sets a new one with their account password."""

    code = "pin_locked"
    status_code = 423
    default_detail = "The withdrawal PIN is locked after too many wrong attempts. Set a new PIN with your password."


class RailUnavailable(DomainError):
    code = "rail_unavailable"
    status_code = 422
    default_detail = "This payment rail is not available."


class InvalidTransition(Conflict):
    code = "invalid_state"
    default_detail = "This item is no longer in a state that allows that."


class FxRateUnavailable(DomainError):
    code = "fx_rate_unavailable"
    status_code = 422
    default_detail = "There is no exchange rate for this pair."


class FxQuoteExpired(DomainError):
    code = "fx_quote_expired"
    status_code = 422
    default_detail = "The quote has expired. Ask for a new one."


class FxQuoteUsed(Conflict):
    code = "fx_quote_used"
    default_detail = "This quote has already been executed."


class CurrencyNotSupported(DomainError):
    code = "currency_not_supported"
    status_code = 422
    default_detail = "This rail does not move this currency."


class InvalidInvoice(DomainError):
    code = "invalid_invoice"
    status_code = 422
    default_detail = "This is not a Lightning invoice we can pay."


class InvoiceAmountMismatch(DomainError):
    code = "invoice_amount_mismatch"
    status_code = 422
    default_detail = "The amount does not match the invoice's amount."


class InvoiceExpired(DomainError):
    code = "invoice_expired"
    status_code = 422
    default_detail = "The invoice has expired or expires too soon to be paid. Ask the payee for a new one."


class InvoiceAlreadyPaid(Conflict):
    code = "invoice_already_paid"
    default_detail = "A payout of this invoice is already on its way or done."
