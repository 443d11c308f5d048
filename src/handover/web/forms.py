"""What every form page does with input and refusals: read a GOV.UK date input, and turn a service's refusal
into messages for the error summary, each under the field it names."""

from __future__ import annotations

import datetime as dt


def sentence(message: str) -> str:
    """Services write messages in lower case to fit any sentence; a page shows each as a sentence."""
    return message[:1].upper() + message[1:]


def refusal_errors(exc: Exception, field: str) -> dict[str, str]:
    """An ApplicationError's field messages, or any other refusal (access, workflow, conflict) under `field`."""
    named = getattr(exc, "errors", None)
    if isinstance(named, dict):
        return {f: sentence(m) for f, m in named.items()}
    return {field: sentence(str(exc))}


def typed_date(values: dict, prefix: str) -> dt.date | None:
    """The date typed into the `prefix-day`, `prefix-month`, `prefix-year` boxes, or None if it is not one."""
    try:
        return dt.date(
            int(values[f"{prefix}-year"]), int(values[f"{prefix}-month"]), int(values[f"{prefix}-day"])
        )
    except (KeyError, ValueError):
        return None
