"""The content negotiation's shortcut picks exactly what DRF's own negotiation picks."""

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer, StaticHTMLRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from blockscore.api.negotiation import ContentNegotiation

ACCEPTS = [None, "*/*", "application/json", "text/html", "application/json; indent=4", "text/*", "image/png", ""]
RENDERER_LISTS = [
    [JSONRenderer()],
    [JSONRenderer(), BrowsableAPIRenderer()],
    [StaticHTMLRenderer(), JSONRenderer()],
]


def _pick(negotiation, accept, renderers):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/api/v1/wallets", **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers)
    except NotAcceptable:
        return "406"
    return type(renderer).__name__, media_type


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("renderers", RENDERER_LISTS, ids=lambda rs: "+".join(type(r).__name__ for r in rs))
def test_same_choice_as_drf(accept, renderers):
    assert _pick(ContentNegotiation(), accept, renderers) == _pick(DefaultContentNegotiation(), accept, renderers)


@pytest.mark.django_db
def test_an_unacceptable_media_type_is_still_refused(client):
    response = client.get("/api/v1/ping", HTTP_ACCEPT="image/png")
    assert response.status_code == 406
