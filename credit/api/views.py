"""Customer credit endpoints: a customer sees only their own scores, answers and alerts."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore.api.pagination import CursorPagination
from credit import selectors
from credit.api import serializers as s
from credit.features import platform_features
from credit.services import scores, survey

_NO_MODEL = OpenApiResponse(description="`no_active_model`: no scoring model is active.")
_MISSING = OpenApiResponse(description="`survey_incomplete`: `missing` names the questions to answer.")


class _NewestFirst(CursorPagination):
    ordering = ("-computed_at", "-id")


class _AlertsNewestFirst(CursorPagination):
    ordering = ("-created_at", "-id")


class ScoreView(APIView):
    @extend_schema(
        tags=["credit"],
        summary="Your latest credit score with its reasons (computed now if you have none).",
        description="Score 300–850, band, probability of default, and up to four reason codes: what costs you "
        "the most points and how to improve it.",
        responses={200: s.ScoreOutput, 409: _MISSING, 503: _NO_MODEL},
    )
    def get(self, request):
        return Response(s.ScoreOutput(scores.score_current(user=request.user)).data)


class ScoreRefreshView(APIView):
    @extend_schema(
        tags=["credit"],
        summary="Compute a fresh score now (at most once an hour).",
        request=None,
        responses={
            201: s.ScoreOutput,
            409: _MISSING,
            429: OpenApiResponse(description="`refresh_too_soon`, with Retry-After."),
            503: _NO_MODEL,
        },
    )
    def post(self, request):
        return Response(s.ScoreOutput(scores.score_refresh(user=request.user)).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["credit"], summary="Your score history, newest first.")
class HistoryView(generics.ListAPIView):
    serializer_class = s.ScoreOutput
    pagination_class = _NewestFirst
    filter_backends: list = []

    def get_queryset(self):
        return selectors.scores_of(self.request.user)


class QuestionsView(APIView):
    @extend_schema(
        tags=["credit"],
        summary="The survey: every question with its options and your current answer.",
        responses={200: s.QuestionOutput(many=True)},
    )
    def get(self, request):
        context = {
            "required_features": selectors.required_features(),
            "answers": selectors.current_answers(request.user),
            "platform": platform_features(request.user),
        }
        return Response(s.QuestionOutput(selectors.active_questions(), many=True, context=context).data)


class AnswersView(APIView):
    @extend_schema(
        tags=["credit"],
        summary="Your current survey answers.",
        responses={200: s.AnswerOutput(many=True)},
    )
    def get(self, request):
        from credit.models import SurveyAnswer

        current = SurveyAnswer.objects.filter(user=request.user, superseded_at__isnull=True).select_related("question")
        return Response(s.AnswerOutput(current.order_by("key"), many=True).data)

    @extend_schema(
        tags=["credit"],
        summary="Answer survey questions (all or none are recorded; earlier answers are kept as history).",
        description="`invalid_answer` (400) names the question and its allowed options; `unknown_question` names "
        "the keys that do not exist.",
        request=s.AnswersInput,
        responses={200: s.AnswerOutput(many=True)},
    )
    def post(self, request):
        data = s.AnswersInput(data=request.data)
        data.is_valid(raise_exception=True)
        answers = survey.survey_answers_submit(user=request.user, answers=data.validated_data["answers"])
        return Response(s.AnswerOutput(answers, many=True).data)


@extend_schema(tags=["credit"], summary="Alerts about your score (band changes, big moves, milestones).")
class AlertsView(generics.ListAPIView):
    serializer_class = s.AlertOutput
    pagination_class = _AlertsNewestFirst
    filter_backends: list = []

    def get_queryset(self):
        return selectors.alerts_of(self.request.user).select_related("previous_score")


class AlertReadView(APIView):
    @extend_schema(
        tags=["credit"], summary="Mark one of your alerts read.", request=None, responses={200: s.AlertOutput}
    )
    def post(self, request, alert_id):
        return Response(s.AlertOutput(scores.score_alert_read(user=request.user, alert_id=alert_id)).data)


_CHAIN_OFF = OpenApiResponse(description="`blockchain_disabled`: on-chain features are off (ENABLE_BLOCKCHAIN).")


class AttestationsView(APIView):
    @extend_schema(
        tags=["credit"],
        summary="Attest one of your scores on chain.",
        description="Records a digest of the score (a pseudonym of you, the score, the model version and when it "
        "was computed: nothing personal) and writes it on chain in the background; `status` goes from `pending` "
        "to `submitted` and `confirmed` (or `failed`). One attestation per score: asking again returns it "
        "(a failed one is tried again). Another customer's score is 404.",
        request=s.AttestationInput,
        responses={
            202: s.AttestationOutput,
            404: OpenApiResponse(description="`not_found`: you have no score with this id."),
            503: _CHAIN_OFF,
        },
    )
    def post(self, request):
        from credit.services import attestations

        data = s.AttestationInput(data=request.data)
        data.is_valid(raise_exception=True)
        score = attestations.own_score(user=request.user, score_id=data.validated_data["score"])
        attestation = attestations.attestation_request(score=score, actor=request.user)
        return Response(s.AttestationOutput(attestation).data, status=status.HTTP_202_ACCEPTED)


class AttestationView(APIView):
    @extend_schema(
        tags=["credit"],
        summary="One of your attestations, checked against the chain now.",
        description="`verified.matches` is true when the chain holds the digest recomputed from the stored score, "
        "with the block that recorded it. When the chain cannot be read, `matches` is null and `verified.error` "
        "says why; the stored fields are still returned.",
        responses={200: s.AttestationVerifiedOutput},
    )
    def get(self, request, attestation_id):
        from credit.services import attestations

        attestation = attestations.own_attestation(user=request.user, attestation_id=attestation_id)
        verification = attestations.attestation_verify(attestation)
        return Response(s.AttestationVerifiedOutput(attestation, context={"verification": verification}).data)
