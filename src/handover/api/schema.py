"""The API's OpenAPI schema says every answer an operation can give, errors too: the bodies api/errors.py makes
(`{"errors": {field: ...}}`, or `{"detail": ..., "rule": ...}`), so a client generated from the schema can read
a refusal. tests/integration/test_api_schema_attack.py checks each answer against the schema."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers


class ErrorDetail(serializers.Serializer):
    detail = serializers.CharField(help_text="what was refused and why, in words")
    rule = serializers.CharField(
        required=False, help_text="the rule of the protocol or the workflow that refused it, when one did"
    )


class FieldErrors(serializers.Serializer):
    errors = serializers.DictField(
        help_text="each field wrong (nested fields dotted, as `answers.facts.x`), with what is wrong with it"
    )


BAD_REQUEST = PolymorphicProxySerializer(
    component_name="BadRequest",
    serializers=[FieldErrors, ErrorDetail],
    resource_type_field_name=None,
)

ERRORS = {
    "400": OpenApiResponse(
        BAD_REQUEST,
        "the request is wrong: each field (or filter) wrong named in `errors`, or (for a request refused as a "
        "whole) `detail` says why and `rule` names the rule",
    ),
    "401": OpenApiResponse(
        ErrorDetail, "not signed in, or the token expired or was revoked: `detail` says which and what to do"
    ),
    "403": OpenApiResponse(
        ErrorDetail, "your roles do not allow this: `detail` says why, `rule` names the rule"
    ),
    "404": OpenApiResponse(
        ErrorDetail,
        "no such record, or one you may not see (a restricted record is not found), or a page past the last",
    ),
    "409": OpenApiResponse(
        ErrorDetail,
        "the record changed since you read it (send the version you read), or the action does not fit where "
        "the record stands now",
    ),
    "413": OpenApiResponse(ErrorDetail, "the request body is too big"),
    "415": OpenApiResponse(ErrorDetail, "the body is not JSON (or a form)"),
    "429": OpenApiResponse(
        ErrorDetail, "too many requests, or too many wrong passwords: wait Retry-After seconds"
    ),
}
WRITES = ("POST", "PUT", "PATCH")


class HandoverSchema(AutoSchema):
    """drf-spectacular's schema, with each operation's error answers added to the answers its view declares."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ERRORS[code], code, direction=direction)
        return dict(sorted(responses.items()))

    def get_filter_backends(self):
        # Only a list filters what it reads: an action on one record (its audit trail, its secondary allocations)
        # takes none of the list's filters.
        if getattr(self.view, "action", None) != "list":
            return []
        return super().get_filter_backends()

    def _get_paginator(self):
        # DRF pages only what a GET reads: a POST that answers a list (the transfers a proposal made) is not paged.
        return super()._get_paginator() if self.method == "GET" else None

    def _error_codes(self) -> list[str]:
        # Only the answers the operation can give, so an answer the schema does not expect is a finding: a read of
        # one record answering 400 says the record, not the request, is wrong.
        signed_in = bool(self.view.authentication_classes)  # POST /api/token/ is the one that is not
        codes = ["403", "429"]
        if self.method in WRITES:
            codes += ["400", "413", "415"] + (["409"] if signed_in else [])
        elif self._get_filter_parameters():
            codes.append("400")  # a filter's value refused
        if signed_in:
            codes.append("401")
            if "{" in self.path or self._get_pagination_parameters():
                codes.append("404")
        return codes
