"""The signed-in person's own account: their password (change it; reset it by email when forgotten), two-factor
sign-in (set up an authenticator app; confirm its code after the password), their API tokens (list, issue,
revoke), and single sign-on's pages (start, the provider's return, and a clear refusal for someone Handover does
not know). Each view reads the request, calls accounts/ for the work, and renders."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from handover.accounts import oidc, passwords, two_factor
from handover.accounts.middleware import two_factor_exempt
from handover.accounts.models import ApiToken
from handover.accounts.tokens import NAME_CAP, token_issue, token_revoke, tokens_gone_count, tokens_of
from handover.domain.errors import ApplicationError
from handover.organisation.access import staff_for
from handover.web.forms import FreeText, form_errors, refusal_errors

# -- forms ---------------------------------------------------------------------------------------------------

# Django's password rules (settings.AUTH_PASSWORD_VALIDATORS), said as GOV.UK would say them.
_RULES = {
    "password_too_short": lambda e: f"Your new password must be {e.params['min_length']} characters or more",
    "password_too_common": lambda e: (
        "Your new password is one that many people use: choose one that is harder to guess"
    ),
    "password_too_similar": lambda e: (
        "Your new password is too like your username, name or email address: choose a different one"
    ),
    "password_entirely_numeric": lambda e: "Your new password must not be only numbers",
}


class _NewPassword:
    """The new password asked for twice: a mismatch is said once, at the second box; a broken rule at the first
    (Django puts both at the second, which is not the box the person needs to change)."""

    def _new_password_messages(self):
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"
        self.error_messages = {
            **self.error_messages,
            # bandit B105: a message, not a password.
            "password_mismatch": "The new passwords do not match: enter the same password in both boxes",  # nosec B105
        }

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        password = self.cleaned_data.get("new_password1")
        if password and "new_password2" not in self.errors:
            try:
                password_validation.validate_password(password, self.user)
            except ValidationError as broken:
                for error in broken.error_list:
                    words = _RULES.get(error.code)
                    self.add_error("new_password1", words(error) if words else " ".join(error.messages))
        return forms.Form.clean(self)


class PasswordChangeForm(_NewPassword, auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self.error_messages = {
            **self.error_messages,
            "password_incorrect": "Your current password is not right: enter it again",  # nosec B105  # a message
        }
        self._new_password_messages()


class SetPasswordForm(_NewPassword, auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._new_password_messages()


class PasswordResetForm(auth_forms.PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].error_messages = {
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Email address must be 254 characters or fewer",
        }

    def get_users(self, email):
        return passwords.reset_recipients(email)


class CodeForm(forms.Form):
    code = forms.CharField(max_length=12, error_messages={"required": "Enter the 6-digit code from your app"})


class TokenNameForm(forms.Form):
    name = FreeText("name", NAME_CAP, required="Enter a name for the token, like the script that will use it")


def _errors(form: forms.Form, first: str) -> dict[str, str]:
    return form_errors(form, first) if form.is_bound else {}


def _next(request, default: str = "web:my_work") -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(default)


# -- your account --------------------------------------------------------------------------------------------


@login_required
def account(request):
    user = request.user
    return render(
        request,
        "registration/account.html",
        {
            "has_password": user.has_usable_password(),
            "two_factor_on": two_factor.required(),
            "two_factor_device": two_factor.device_of(user),
            "two_factor_needed": two_factor.must_use(user, request.today),
            "tokens": tokens_of(user, request.now).count(),
        },
    )


# -- passwords -----------------------------------------------------------------------------------------------


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("web:account")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_usable_password():
            return redirect("web:account")  # signs in with their council account: no password here to change
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["errors"] = _errors(context["form"], "old_password")
        context["password_hint"] = _password_hint()
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        passwords.password_changed(self.request.user, now=self.request.now, how="changed")
        messages.success(self.request, "Your password has been changed")
        return response


class PasswordReset(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    form_class = PasswordResetForm
    email_template_name = "registration/reset_email.txt"
    subject_template_name = "registration/reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["errors"] = _errors(context["form"], "email")
        return context

    def form_valid(self, form):
        # The link is made from the address Handover is configured at, never from the request's Host header.
        self.extra_email_context = {
            "base_url": settings.HANDOVER_BASE_URL.rstrip("/"),
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        return super().form_valid(form)


class PasswordResetDone(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("web:password_reset_complete")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["errors"] = _errors(form, "new_password1") if form is not None else {}
        context["password_hint"] = _password_hint()
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        passwords.password_changed(form.user, now=self.request.now, how="reset")
        return response


class PasswordResetComplete(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


def _password_hint() -> str:
    """The rules, said before the person types."""
    least = next(
        (
            v.min_length
            for v in password_validation.get_default_password_validators()
            if isinstance(v, password_validation.MinimumLengthValidator)
        ),
        None,
    )
    return (
        f"Use {least} characters or more. " if least else ""
    ) + "A few unrelated words together make a good password. Do not use a password you use anywhere else."


# -- two-factor sign-in --------------------------------------------------------------------------------------


@two_factor_exempt
@login_required
def two_factor_verify(request):
    if not two_factor.must_use(request.user, request.today) or two_factor.verified(request):
        return redirect(_next(request))
    if two_factor.device_of(request.user) is None:
        return redirect(f"{reverse('web:two_factor_enrol')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None)
    errors = {}
    if request.method == "POST":
        if form.is_valid():
            try:
                two_factor.verify(request, form.cleaned_data["code"])
            except ApplicationError as refused:
                errors = refusal_errors(refused, "code")
            else:
                return redirect(_next(request))
        else:
            errors = _errors(form, "code")
    return render(request, "registration/two_factor_verify.html", {"errors": errors, "next": _next(request)})


@two_factor_exempt
@login_required
def two_factor_enrol(request):
    if not two_factor.required():
        raise Http404("two-factor sign-in is not used here")
    if two_factor.device_of(request.user) is not None:
        return redirect("web:account")
    errors = {}
    enrolment = None
    if request.method == "POST":
        enrolment = two_factor.enrolment_resume(request.user, request.POST.get("enrolment", ""))
        form = CodeForm(request.POST)
        if enrolment is None:
            errors = {"code": "This set-up page was open too long: add the new key below to your app instead"}
        elif not form.is_valid():
            errors = _errors(form, "code")
        else:
            try:
                two_factor.enrol(request, enrolment, form.cleaned_data["code"], now=request.now)
            except ApplicationError as refused:
                errors = refusal_errors(refused, "code")
            else:
                return redirect(_next(request))
    if enrolment is None:
        enrolment = two_factor.enrolment_start(request.user)
    return render(
        request,
        "registration/two_factor_enrol.html",
        {
            "errors": errors,
            "enrolment": enrolment,
            "qr": enrolment.qr_data_uri(),
            "next": _next(request),
            "needed": two_factor.must_use(request.user, request.today),
        },
    )


# -- API tokens ----------------------------------------------------------------------------------------------


@login_required
def api_tokens(request):
    staff = staff_for(request.user, on=request.today)
    if staff is None or not staff.active:
        raise PermissionDenied("sign in as an active member of staff")
    form = TokenNameForm(request.POST or None)
    errors, issued = {}, None
    if request.method == "POST":
        if form.is_valid():
            try:
                issued = token_issue(user=request.user, name=form.cleaned_data["name"], now=request.now)
            except ApplicationError as refused:
                errors = refusal_errors(refused, "name")
        else:
            errors = _errors(form, "name")
    return render(
        request,
        "registration/api_tokens.html",
        {
            "tokens": tokens_of(request.user, request.now),
            "gone": tokens_gone_count(request.user, request.now),
            "issued": issued,  # shown on this response only: the token is not kept anywhere it could be read
            "errors": errors,
            "name": "" if issued else request.POST.get("name", ""),
            "days": settings.HANDOVER_API_TOKEN_DAYS,
            "two_factor_needed": two_factor.must_use(request.user, request.today),
        },
        status=201 if issued else 200,
    )


@login_required
def api_token_revoke(request, pk: int):
    if request.method != "POST":
        return redirect("web:api_tokens")
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_revoke(user=request.user, token=token, now=request.now)
    messages.success(request, f"The token ‘{token.name}’ is revoked: it no longer works")
    return redirect("web:api_tokens")


# -- single sign-on ------------------------------------------------------------------------------------------


class _SsoCallback(OIDCAuthenticationCallbackView):
    def login_success(self):
        response = super().login_success()
        if getattr(settings, "HANDOVER_OIDC_PROVIDER_MFA", False):
            # The provider asked for a second factor itself: Handover does not ask again.
            self.request.session[two_factor.VERIFIED_BY_PROVIDER] = True
        return response

    def login_failure(self):
        refusal = getattr(self.request, oidc.REFUSAL, None) or oidc.Refusal("failed")
        return render(self.request, "registration/sso_refused.html", {"refusal": refusal}, status=403)


@two_factor_exempt
def sso_start(request):
    if not oidc.enabled():
        raise Http404("single sign-on is not set up")
    return OIDCAuthenticationRequestView.as_view()(request)


@two_factor_exempt
def sso_callback(request):
    if not oidc.enabled():
        raise Http404("single sign-on is not set up")
    return _SsoCallback.as_view()(request)
