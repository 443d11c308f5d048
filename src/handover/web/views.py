"""Pages. Thin: read with selectors, write with services, render GOV.UK templates."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.children.models import Child
from handover.organisation.access import can_read_children, staff_for, visible_children
from handover.transfers import selectors


def _staff(request):
    staff = staff_for(request.user)
    if staff is None or not staff.active:
        raise PermissionDenied("sign in as an active member of staff")
    return staff


def home(request):
    return render(request, "web/start.html")


class SignIn(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def sign_out(request):
    if request.method != "POST":
        return redirect("web:home")
    return auth_views.LogoutView.as_view(next_page="web:home")(request)


@login_required
def my_work(request):
    staff = _staff(request)
    today = timezone.localdate()
    cases = selectors.my_cases(staff)
    return render(
        request,
        "web/my_work.html",
        {
            "cases": cases,
            "waiting": selectors.transfers_waiting_on(staff, today),
            "remedial_actions": selectors.remedial_actions_for(staff, today),
            "today": today,
        },
    )


@login_required
def search(request):
    staff = _staff(request)
    if not can_read_children(staff):
        raise PermissionDenied("your roles do not give access to children's records")
    query = request.GET.get("q", "").strip()
    error = None
    results: list[Child] = []
    if "q" in request.GET:
        if len(query) < 2:
            error = (
                "Enter at least 2 characters of a name, a date of birth (like 2015-03-27) or an identifier"
            )
        else:
            words = Q(identifier__iexact=query)
            for word in query.split():
                words |= Q(first_name__icontains=word) | Q(last_name__icontains=word)
                if len(word) == 10 and word[4] == "-":
                    words |= Q(date_of_birth=word)
            results = list(
                visible_children(staff, Child.objects.filter(words)).order_by("last_name", "first_name")[:50]
            )
            audit_record(
                actor=staff,
                verb=Verb.CHILD_LISTED,
                after={"children": [c.pk for c in results]},
                detail=f"search: {query}"[:300],
            )
    return render(request, "web/search.html", {"query": query, "results": results, "error": error})
