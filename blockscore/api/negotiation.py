"""Content negotiation: DRF's, with the usual ``Accept`` headers answered without parsing them."""

from rest_framework.negotiation import DefaultContentNegotiation

_ANY = "*/*"
_JSON = "application/json"


class ContentNegotiation(DefaultContentNegotiation):
    """Picks what ``DefaultContentNegotiation`` would, and for no ``Accept``, ``*/*`` or
    ``application/json`` (nearly every API call) without parsing the header or ranking
    media types, which was 2 % of a money POST's Python time."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if not format_suffix and self.settings.URL_FORMAT_OVERRIDE is None and renderers:
            accept = request.META.get("HTTP_ACCEPT", _ANY)
            first = renderers[0]
            if accept == _ANY:
                return first, first.media_type
            if accept == _JSON and first.media_type == _JSON:
                return first, _JSON
        return super().select_renderer(request, renderers, format_suffix)
