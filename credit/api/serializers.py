from rest_framework import serializers

from blockscore.api.serializers import StrictSerializer
from credit.models import CreditScore, ScoreAlert, ScoreAttestation, SurveyQuestion


class ReasonCodeOutput(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code, e.g. for an adverse-action notice.")
    feature = serializers.CharField()
    text = serializers.CharField(help_text="What cost points, in plain language.")
    hint = serializers.CharField(help_text="How to improve it.")
    points_lost = serializers.IntegerField(help_text="Points below the best answer for this input.")


class ScoreInputOutput(serializers.Serializer):
    feature = serializers.CharField()
    value = serializers.CharField()
    source = serializers.CharField(
        help_text='"survey:<question key>", "wallets", "application", or a registered provider.'
    )


class ScoreOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    band_label = serializers.CharField(source="get_band_display")
    pd = serializers.DecimalField(max_digits=7, decimal_places=6, help_text="Probability of default.")
    reason_codes = ReasonCodeOutput(many=True)
    model_version = serializers.CharField(source="model.version")
    inputs = serializers.SerializerMethodField()

    class Meta:
        model = CreditScore
        fields = [
            "id",
            "score",
            "band",
            "band_label",
            "pd",
            "reason_codes",
            "model_version",
            "trigger",
            "computed_at",
            "inputs",
        ]

    def get_inputs(self, score) -> ScoreInputOutput(many=True):
        return [
            {"feature": name, "value": str(item["value"]), "source": item["source"]}
            for name, item in sorted(score.inputs.items())
        ]


class QuestionOptionOutput(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class QuestionOutput(serializers.ModelSerializer):
    options = QuestionOptionOutput(many=True)
    required = serializers.SerializerMethodField(help_text="The active model needs this answer.")
    answer = serializers.SerializerMethodField(help_text="Your current answer, if any.")
    answered_by_platform = serializers.SerializerMethodField(
        help_text="Platform data (e.g. your wallets) supplies this input; your answer is not used."
    )

    class Meta:
        model = SurveyQuestion
        fields = [
            "key",
            "version",
            "text",
            "help_text",
            "answer_type",
            "options",
            "min_value",
            "max_value",
            "required",
            "answer",
            "answered_by_platform",
        ]

    def get_required(self, question) -> bool:
        return question.feature in self.context["required_features"]

    def get_answer(self, question) -> str | None:
        return self.context["answers"].get(question.key)

    def get_answered_by_platform(self, question) -> bool:
        return question.feature in self.context["platform"]


class AnswersInput(StrictSerializer):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        allow_empty=False,
        help_text='Question key → answer: an option\'s value, or a whole number. E.g. {"housing": "rent"}.',
    )


class AnswerOutput(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.CharField()
    question_version = serializers.IntegerField(source="question.version")
    answered_at = serializers.DateTimeField()


class AlertOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    score = serializers.IntegerField(source="score.score")
    band = serializers.CharField(source="score.band")
    previous_score = serializers.IntegerField(source="previous_score.score", allow_null=True, default=None)

    class Meta:
        model = ScoreAlert
        fields = ["id", "kind", "message", "score", "band", "previous_score", "created_at", "read_at"]


class AttestationInput(StrictSerializer):
    score = serializers.UUIDField(help_text="The id of one of your scores (from credit/score or credit/history).")


class DigestInputsOutput(serializers.Serializer):
    """What the digest covers: sha256 of the canonical JSON (sorted keys, no spaces) of these."""

    v = serializers.IntegerField(help_text="Version of the digest scheme.")
    subject = serializers.CharField(help_text="Your pseudonym: a keyed hash of your account id, not your identity.")
    score = serializers.IntegerField()
    model_version = serializers.CharField()
    computed_at = serializers.CharField(help_text="When the score was computed (UTC, ISO 8601, microseconds).")


class AttestationOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    score = serializers.UUIDField(source="score.public_id")
    digest_inputs = serializers.SerializerMethodField()
    chain_id = serializers.IntegerField(allow_null=True)
    block_number = serializers.IntegerField(allow_null=True)

    class Meta:
        model = ScoreAttestation
        fields = [
            "id",
            "score",
            "status",
            "digest",
            "digest_inputs",
            "chain_id",
            "contract_address",
            "tx_hash",
            "block_number",
            "error",
            "created_at",
            "submitted_at",
            "confirmed_at",
        ]

    def get_digest_inputs(self, attestation) -> DigestInputsOutput:
        from credit.services.attestations import digest_inputs

        return digest_inputs(attestation.score)


class VerificationErrorOutput(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. `chain_unavailable`, `blockchain_disabled`, `contract_not_deployed`.")
    detail = serializers.CharField()


class VerificationOutput(serializers.Serializer):
    matches = serializers.BooleanField(
        allow_null=True,
        help_text="The chain holds the digest of the stored score as it is now; null when the chain could not be read.",
    )
    recomputed_digest = serializers.CharField(help_text="The digest recomputed from the stored score now.")
    block_number = serializers.IntegerField(allow_null=True, help_text="The block that recorded it on chain.")
    recorded_at = serializers.DateTimeField(allow_null=True, help_text="That block's timestamp.")
    checked_at = serializers.DateTimeField()
    error = serializers.SerializerMethodField()

    def get_error(self, verification) -> VerificationErrorOutput(allow_null=True):
        if verification.error_code is None:
            return None
        return {"code": verification.error_code, "detail": verification.error_detail}


class AttestationVerifiedOutput(AttestationOutput):
    verified = serializers.SerializerMethodField(help_text="What the chain says, read now.")

    class Meta(AttestationOutput.Meta):
        fields = [*AttestationOutput.Meta.fields, "verified"]

    def get_verified(self, attestation) -> VerificationOutput:
        return VerificationOutput(self.context["verification"]).data
