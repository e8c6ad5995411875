"""Customer KYC endpoints: submit (multipart), see the status and reasons, resubmit."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore.api.pagination import PageNumberPagination
from blockscore.exceptions import NotFound
from compliance.api import serializers as s
from compliance.models import KycSubmission
from compliance.services import kyc

_REFUSALS = OpenApiResponse(
    description="`kyc_in_progress`, `kyc_already_approved` (409); `underage`, `unsupported_file_type`, "
    "`kyc_documents_missing` (400); `file_too_large` (413)."
)


class KycStatusView(APIView):
    @extend_schema(
        tags=["kyc"],
        summary="Your identity verification status and, if any, what we need from you.",
        responses={200: s.KycStatusOutput},
    )
    def get(self, request):
        state = kyc.kyc_status(request.user)
        return Response(s.KycStatusOutput({**state, "verified": state["status"] == "approved"}).data)


class KycSubmissionsView(generics.ListAPIView):
    serializer_class = s.KycSubmissionOutput
    pagination_class = PageNumberPagination
    filter_backends: list = []
    parser_classes = [MultiPartParser]
    queryset = KycSubmission.objects.none()

    def get_queryset(self):
        return (
            KycSubmission.objects.filter(user=self.request.user)
            .prefetch_related("documents")
            .order_by("-submitted_at", "-id")
        )

    @extend_schema(tags=["kyc"], summary="Your KYC submissions, newest first.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["kyc"],
        summary="Submit your identity: details, ID document images and a selfie (multipart/form-data).",
        description="Files are checked by content (JPEG, PNG or PDF), capped in size and stored encrypted.",
        request={"multipart/form-data": s.KycSubmissionInput},
        responses={201: s.KycSubmissionOutput, 400: _REFUSALS, 409: _REFUSALS, 413: _REFUSALS},
    )
    def post(self, request):
        data = s.KycSubmissionInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {
            k: v for k, v in data.validated_data.items() if k not in ("document_front", "document_back", "selfie")
        }
        fields["nationality"], fields["country"] = str(fields["nationality"]), str(fields["country"])
        submission = kyc.kyc_submit(user=request.user, data=fields, uploads=data.uploads())
        return Response(s.KycSubmissionOutput(submission).data, status=status.HTTP_201_CREATED)


class KycSubmissionDetailView(APIView):
    @extend_schema(tags=["kyc"], summary="One of your KYC submissions.", responses={200: s.KycSubmissionOutput})
    def get(self, request, submission_id):
        submission = KycSubmission.objects.filter(user=request.user, public_id=submission_id).first()
        if submission is None:
            raise NotFound("No such KYC submission.")
        return Response(s.KycSubmissionOutput(submission).data)


class KycResubmitView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["kyc"],
        summary="Send again the documents we asked for (multipart/form-data).",
        request={"multipart/form-data": s.KycResubmitInput},
        responses={200: s.KycSubmissionOutput, 400: _REFUSALS, 409: _REFUSALS, 413: _REFUSALS},
    )
    def post(self, request, submission_id):
        data = s.KycResubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        submission = kyc.kyc_resubmit(user=request.user, submission_id=submission_id, uploads=data.uploads())
        return Response(s.KycSubmissionOutput(submission).data)
