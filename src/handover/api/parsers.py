"""The API's JSON parser, with limits: nested no deeper than any client needs, and no NUL anywhere (PostgreSQL
cannot store it in text or jsonb). Each is a 400 naming the field, never a RecursionError or a database error.
(The body's size is capped by Django's DATA_UPLOAD_MAX_MEMORY_SIZE: a 413, in api/errors.py.)"""

from __future__ import annotations

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from handover.domain.text import JSON_DEPTH, json_problem


class GuardedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # the C decoder gives up nesting at the interpreter's recursion limit
            raise ParseError(f"JSON parse error - nested more than {JSON_DEPTH} levels deep") from None
        problem = json_problem(data)
        if problem is not None:
            field, message = problem
            if not field:
                raise ParseError(f"JSON parse error - {message}")
            raise ValidationError({field: [message]})
        return data
