from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from blockscore import money
from blockscore.api.serializers import AmountStringField, StrictSerializer
from wallets.models import CURRENCY_CHOICES, LedgerAccount, Posting


@extend_schema_field({"type": "string", "format": "decimal", "example": "12.50"})
class AmountField(serializers.Field):
    """A Decimal amount sent as a string at its currency's scale."""

    def __init__(self, currency_attr="currency", **kwargs):
        kwargs.setdefault("read_only", True)
        self.currency_attr = currency_attr
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return (super().get_attribute(instance), getattr(instance, self.currency_attr))

    def to_representation(self, value):
        amount, currency = value
        return money.format_amount(amount, currency)


class WalletOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    balance = AmountField(help_text="Posted balance.")
    held = AmountField(help_text="Reserved by pending withdrawals.")
    available = AmountField(help_text="Balance less holds: what can be spent now.")

    class Meta:
        model = LedgerAccount
        fields = ["id", "number", "currency", "status", "balance", "held", "available", "created_at"]
        read_only_fields = fields


class WalletOpenInput(StrictSerializer):
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)


class TransactionOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="entry.public_id", read_only=True)
    wallet = serializers.UUIDField(source="account.public_id", read_only=True)
    kind = serializers.CharField(source="entry.kind", read_only=True)
    memo = serializers.CharField(source="entry.memo", read_only=True)
    amount = AmountField(help_text="Signed: positive is money in, negative money out.")
    balance_after = AmountField()

    class Meta:
        model = Posting
        fields = ["id", "wallet", "kind", "memo", "currency", "amount", "balance_after", "posted_at"]
        read_only_fields = fields


class StatementOutput(serializers.Serializer):
    wallet = serializers.UUIDField()
    number = serializers.CharField()
    currency = serializers.CharField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    opening_balance = serializers.CharField()
    closing_balance = serializers.CharField()
    total_in = serializers.CharField()
    total_out = serializers.CharField()
    transactions = TransactionOutput(many=True)


class AdminWalletOutput(WalletOutput):
    owner = serializers.UUIDField(source="owner.public_id", read_only=True, allow_null=True)
    owner_email = serializers.EmailField(source="owner.email", read_only=True, allow_null=True)

    class Meta(WalletOutput.Meta):
        fields = [
            "id",
            "number",
            "kind",
            "owner",
            "owner_email",
            "currency",
            "rail",
            "status",
            "balance",
            "held",
            "available",
            "created_at",
        ]
        read_only_fields = fields


class AdminTransactionOutput(TransactionOutput):
    account_number = serializers.CharField(source="account.number", read_only=True)
    account_kind = serializers.CharField(source="account.kind", read_only=True)
    initiator = serializers.UUIDField(source="entry.initiator.public_id", read_only=True, allow_null=True, default=None)

    class Meta(TransactionOutput.Meta):
        fields = [
            "id",
            "wallet",
            "account_number",
            "account_kind",
            "kind",
            "memo",
            "currency",
            "amount",
            "balance_after",
            "initiator",
            "posted_at",
        ]
        read_only_fields = fields


class TransferInput(StrictSerializer):
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    amount = AmountStringField(help_text='A decimal string at the currency\'s scale, e.g. "12.50".')
    to_email = serializers.EmailField(required=False, help_text="The recipient's e-mail (or give to_account).")
    to_account = serializers.RegexField(r"^\d{12}$", required=False, help_text="The recipient's account number.")
    memo = serializers.CharField(max_length=280, required=False, allow_blank=True, default="")

    def validate(self, data):
        if bool(data.get("to_email")) == bool(data.get("to_account")):
            raise serializers.ValidationError({"to_email": ["Give exactly one of to_email and to_account."]})
        try:
            data["amount"] = money.parse_amount(data["amount"], data["currency"])
        except money.InvalidAmount as exc:
            raise serializers.ValidationError({"amount": [exc.detail]}) from exc
        return data


class TransferOutput(serializers.Serializer):
    id = serializers.UUIDField(source="entry.public_id")
    kind = serializers.CharField(source="entry.kind")
    currency = serializers.CharField(source="source.currency")
    amount = serializers.CharField()
    from_account = serializers.CharField(source="source.number")
    to_account = serializers.CharField(source="destination.number")
    memo = serializers.CharField(source="entry.memo")
    balance_after = serializers.CharField(help_text="Your wallet's balance after the transfer.")
    posted_at = serializers.DateTimeField(source="entry.posted_at")


_POSTED_AT = serializers.DateTimeField()


def transfer_output(summary: dict) -> dict:
    """What ``TransferOutput`` gives for a transfer summary, built directly: the answer to
    every transfer, where a serializer's field copying and lookups cost more than the rest
    of the view (``wallets/tests`` checks that the two agree)."""
    entry, source = summary["entry"], summary["source"]
    return {
        "id": str(entry.public_id),
        "kind": entry.kind,
        "currency": source.currency,
        "amount": summary["amount"],
        "from_account": source.number,
        "to_account": summary["destination"].number,
        "memo": entry.memo,
        "balance_after": summary["balance_after"],
        "posted_at": _POSTED_AT.to_representation(entry.posted_at),
    }
