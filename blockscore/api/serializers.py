import copy

from rest_framework import serializers


class StrictFieldsMixin:
    """Refuse input keys that are not writable fields of the serializer.

    Unknown or read-only keys (``is_staff``, ``roles``...) are an error, never silently
    dropped and never mass-assigned, so a client learns at once that a change did not
    happen.
    """

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field is not allowed here."] for name in unknown}, code="unknown_field"
                )
        return super().to_internal_value(data)


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    def get_fields(self):
        """The declared fields, each copied for this serializer.

        DRF deep-copies them, which rebuilds every field from its arguments on every
        request and costs more than the validation itself. A shallow copy is enough for
        a plain field (binding sets the copy's own name and parent; what it shares with
        the declared field, its validators and messages, is only read). Fields that
        hold other fields (a nested serializer, a list's child) are deep-copied as DRF does.
        """
        return {
            name: copy.deepcopy(field)
            if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(field, "fields")
            else copy.copy(field)
            for name, field in self._declared_fields.items()
        }


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    pass


class AmountStringField(serializers.CharField):
    """An amount as a JSON string ("12.50"). JSON numbers are refused: a client that sends
    12.5 has already been through a float. The parent serializer checks the value against
    its currency with blockscore.money.parse_amount."""

    default_error_messages = {"not_a_string": 'Send the amount as a string, e.g. "12.50".'}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)
