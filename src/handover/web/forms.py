"""What every form page does with input and refusals: read a GOV.UK date input, and turn a service's refusal
into messages for the error summary, each under the field it names. The forms of the pages that take ids and
free text, so parsing a typed id, a hidden version or a capped text has one home."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from handover.domain import text


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
    except (KeyError, ValueError, TypeError, OverflowError):  # OverflowError: a year of 20 digits
        return None


def form_errors(form: forms.Form, non_field: str, anchors: dict[str, str] | None = None) -> dict[str, str]:
    """A bound form's first message for each field, keyed by the id the error summary links to: `non_field` for
    errors not about one field (a date typed in three boxes), `anchors` for fields with no box (a hidden one)."""
    anchors = {forms.forms.NON_FIELD_ERRORS: non_field, **(anchors or {})}
    return {anchors.get(field, field): sentence(str(messages[0])) for field, messages in form.errors.items()}


class FreeText(forms.CharField):
    """Text people type: capped, NUL refused, a typed line break counted as one character; the messages name
    the field and the rule (domain/text.py, the same as the services and the API say)."""

    def __init__(self, field: str, cap: int, *, required: str | None = None, **kwargs):
        messages = {
            "max_length": sentence(text.too_long(field, cap)),
            "null_characters_not_allowed": sentence(text.has_nul(field)),
            **({"required": required} if required else {}),
        }
        super().__init__(max_length=cap, required=bool(required), error_messages=messages, **kwargs)

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")


def choice(queryset, message: str) -> forms.ModelChoiceField:
    """A choice of a row by its id: a missing, non-numeric, too large or unknown id gets `message`."""
    return forms.ModelChoiceField(
        queryset=queryset,
        required=False,
        error_messages={"invalid_choice": message, "invalid_pk_value": message},
    )


class SearchForm(forms.Form):
    q = FreeText(
        "search",
        text.SEARCH,
        required="Enter at least 2 characters of a name, a date of birth (like 2015-03-27) or an identifier",
        min_length=2,
    )
    team = choice(None, "Choose the team holding the case from the list")
    open_transfer = forms.BooleanField(required=False)

    def __init__(self, data, *, teams):
        super().__init__(data)
        self.fields["q"].error_messages["min_length"] = self.fields["q"].error_messages["required"]
        self.fields["team"].queryset = teams


class TransferActionForm(forms.Form):
    """One workflow action: the version the page was loaded at, and what the action needs."""

    version = forms.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        error_messages={
            k: "The page's version of the transfer is not a whole number: reload the transfer and try again"
            for k in ("required", "invalid", "min_value", "max_value")
        },
    )
    reason = FreeText("reason", text.REASON)
    to_team = choice(None, "Select the receiving team from the list")
    worker = choice(None, "Select the receiving worker from the list")
    # Completing before the agreed date of formal transfer: the person confirms it (and gives the reason).
    confirm_early = forms.BooleanField(required=False)
    # The handover meeting: who of the workers and managers attended, anyone else in words, and its notes.
    attendees = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        error_messages={
            k: "Select who attended from the list"
            for k in ("invalid_choice", "invalid_pk_value", "invalid_list")
        },
    )
    others_attending = FreeText("others_attending", text.REASON)
    notes = FreeText("notes", text.NOTES)

    def __init__(
        self, data, *, teams, workers, needs_reason: bool, needs_date: bool, attendees=None, handover=False
    ):
        super().__init__(data)
        self.fields["to_team"].queryset = teams
        self.fields["worker"].queryset = workers
        self.fields["attendees"].queryset = attendees if attendees is not None else workers.none()
        self.needs_reason, self.needs_date, self.handover = needs_reason, needs_date, handover

    def clean(self):
        cleaned = super().clean()
        if self.needs_reason and "reason" not in self.errors and not cleaned.get("reason"):
            self.add_error("reason", "Enter the reason")
        cleaned["transfer_date"] = None
        if self.needs_date:
            cleaned["transfer_date"] = typed_date(
                {f"transfer_date-{p}": self.data.get(p, "") for p in ("day", "month", "year")},
                "transfer_date",
            )
            if cleaned["transfer_date"] is None:
                self.add_error(None, "Enter the agreed transfer date as a real date, like 9 12 2026")
        cleaned["held_on"] = None
        if self.handover:
            cleaned["held_on"] = typed_date(self.data, "held_on")
            if cleaned["held_on"] is None:
                self.add_error(
                    None, "Enter the date the handover meeting was held as a real date, like 20 11 2026"
                )
            if (
                "attendees" not in self.errors
                and not cleaned.get("attendees")
                and not cleaned.get("others_attending")
            ):
                self.add_error(
                    "attendees", "Select who attended the handover meeting, or say who else attended"
                )
        return cleaned


class RemedialActionForm(forms.Form):
    description = FreeText("description", text.ACTION, required="Enter what needs doing")
    owner = choice(None, "Select who will do it")

    def __init__(self, data, *, owners):
        super().__init__(data)
        self.fields["owner"].queryset = owners

    def clean(self):
        cleaned = super().clean()
        if "owner" not in self.errors and cleaned.get("owner") is None:
            self.add_error("owner", "Select who will do it")
        cleaned["due"] = typed_date(self.data, "due")
        if cleaned["due"] is None:
            self.add_error(None, "Enter the due date as a real date, like 4 12 2026")
        return cleaned


class SignInForm(AuthenticationForm):
    """Django's sign-in with GOV.UK messages: an empty box is named; a wrong username or password gets one
    message that does not say which of the two was wrong (that would tell a stranger which usernames exist)."""

    error_messages = {
        "invalid_login": "Enter a correct username and password",
        "inactive": "Enter a correct username and password",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["username"].error_messages["max_length"] = (
            f"Username must be {self.username_field.max_length or 254} characters or fewer"
        )
        self.fields["password"].error_messages["required"] = "Enter your password"
