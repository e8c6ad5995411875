"""The OpenAPI schema documents each operation's errors from what its view is made of."""

import pytest
from drf_spectacular.generators import SchemaGenerator

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operation(schema, method: str, path: str) -> dict:
    return schema["paths"][path][method]


def test_every_error_response_is_problem_json_with_a_request_id(schema):
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                assert response["headers"]["X-Request-ID"]["required"] is True, (method, path, status)
                if int(status) >= 400 and status != "503":
                    assert response["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}, (
                        method,
                        path,
                        status,
                    )


def test_a_public_unthrottled_ops_endpoint_documents_no_auth_or_throttle_errors(schema):
    ping = operation(schema, "get", "/api/v1/ping")

    assert set(ping["responses"]) == {"200", "400", "406"}


def test_an_authenticated_endpoint_documents_401_403_and_its_headers(schema):
    me = operation(schema, "patch", "/api/v1/auth/me")

    assert {"401", "403", "413", "415", "429"} <= set(me["responses"])
    assert "404" not in me["responses"]
    assert me["responses"]["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert me["responses"]["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}


def test_a_paginated_list_documents_404_for_a_page_past_the_end(schema):
    assert "404" in operation(schema, "get", "/api/v1/admin/users")["responses"]


def test_domain_errors_a_view_documents_get_the_problem_body(schema):
    conflict = operation(schema, "post", "/api/v1/auth/mfa/totp")["responses"]["409"]

    assert conflict["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}
    assert "mfa_already_enabled" in conflict["description"]


def test_descriptions_are_not_inherited_from_base_class_docstrings(schema):
    text = repr(schema["paths"])

    assert "csv_columns" not in text  # CsvExportMixin's note to developers
    assert "no bearer token is read" not in text  # PublicView's
    assert "Ready to take traffic" in text  # a view's own docstring stays
