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
    pass


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    pass
