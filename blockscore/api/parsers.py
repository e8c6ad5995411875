"""The API's one request parser: JSON, with the hostile corners of JSON refused as 400.

DRF's parser maps ``ValueError`` to a parse error, but three inputs get past it and
surface later as a 500: nesting deep enough to exhaust the stack (``RecursionError``
from the decoder, or from any recursive code that walks the data afterwards), lone
UTF-16 surrogates (``"\\ud800"`` decodes to a ``str`` no database or encoder accepts)
and NUL characters (PostgreSQL refuses them in ``text`` and ``jsonb``). No legitimate
request needs any of them, so they are refused here, once, for every endpoint.
"""

import io

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 64
_OPENERS = frozenset(b"[{")
_CLOSERS = frozenset(b"]}")


def _too_deep(raw: bytes) -> bool:
    """Whether the document nests deeper than MAX_JSON_DEPTH, found by scanning its bytes.

    Checked before decoding: the C decoder recurses once per level, and a process whose
    recursion limit some library raised (py-evm sets it to tens of thousands) would
    overflow the C stack on a deep document instead of raising RecursionError. Bodies
    with few brackets, nearly all of them, skip the scan."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif byte in _CLOSERS:
            depth -= 1
    return False


def _check(value) -> None:
    """Walk the parsed document without recursion; refuse deep nesting and bad strings."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = list(item.items())
        elif isinstance(item, list):
            children = [(None, child) for child in item]
        else:
            if isinstance(item, str):
                _check_string(item)
            continue
        if depth > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nesting deeper than {MAX_JSON_DEPTH} levels")
        for key, child in children:
            if key is not None:
                _check_string(key)
            stack.append((child, depth + 1))


def _check_string(text: str) -> None:
    if "\x00" in text:
        raise ParseError("JSON parse error - strings may not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError("JSON parse error - strings may not contain lone surrogates") from exc


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if _too_deep(raw):
            raise ParseError(f"JSON parse error - nesting deeper than {MAX_JSON_DEPTH} levels")
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON parse error - nesting deeper than {MAX_JSON_DEPTH} levels") from exc
        _check(data)
        return data
