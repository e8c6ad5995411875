"""Test-only URLs for blockscore/tests/test_idempotency.py (not part of the project's urls)."""

from django.urls import path

from blockscore.tests.test_idempotency import OtherPostingView, PostingView

urlpatterns = [
    path("api/v1/test/postings", PostingView.as_view(), name="test-postings"),
    path("api/v1/test/other-postings", OtherPostingView.as_view(), name="test-other-postings"),
]

handler500 = "blockscore.api.errors.handler500"
