"""Pages. Thin: read with selectors, write with services, render GOV.UK templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from handover.accounts import oidc
from handover.audit.models import Verb
from handover.audit.services import audit_listing, audit_record
from handover.children.access import may_take_record_action
from handover.children.audit_trail import record_audit_trail
from handover.children.files import documents_on_file
from handover.children.front_door import contacts_passed_on
from handover.children.models import ETHNICITIES, Child
from handover.children.secondary import secondary_allocations_shown, teams_offered
from handover.children.workers import social_workers_had
from handover.documents.letters import letters_ready, letters_status
from handover.domain.errors import Refusal
from handover.domain.rulebook import PrivacyAction, RecordAction, TeamWrite, TransferWrite
from handover.domain.workflow import TRANSITIONS
from handover.meetings.panels import recorded_panel
from handover.notifications.notify import notify_configured
from handover.organisation import access
from handover.organisation.access import (
    can_read_children,
    may_team_write,
    roles_of,
    staff_for,
    visible_children,
)
from handover.organisation.models import MANAGER_ROLES, SENIOR_ROLES, Role, StaffMember, Team
from handover.organisation.protocol import protocol_for, protocol_for_transfer
from handover.privacy.erasure import erasure_refusal
from handover.transfers import escalations as escalation_services
from handover.transfers import selectors, services
from handover.transfers.models import (
    Escalation,
    ReferralOut,
    RemedialAction,
    SignOffKind,
    Transfer,
)
from handover.transfers.selectors import role_words
from handover.transfers.transfer_out import is_outward
from handover.web import next_steps
from handover.web import selectors as pages
from handover.web.forms import (
    RemedialActionForm,
    SearchForm,
    SignInForm,
    TransferActionForm,
    form_errors,
    refusal_errors,
    sentence,
)
from handover.web.search import children_search, search_page


def _staff(request):
    staff = staff_for(request.user, on=request.today)
    if staff is None or not staff.active:
        raise PermissionDenied("sign in as an active member of staff")
    return staff


def home(request):
    return render(request, "web/start.html")


class SignIn(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    form_class = SignInForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        # A wrong username or password is about neither box alone: the summary links to the first.
        ids = {"username": "id_username", "password": "id_password"}  # nosec B105  # the box's HTML id
        context["errors"] = form_errors(form, "id_username", ids) if form.is_bound else {}
        # Single sign-on, when the council has set it up, is offered first (accounts/oidc.py).
        context["sso"] = oidc.enabled()
        return context


def sign_out(request):
    if request.method != "POST":
        return redirect("web:home")
    return auth_views.LogoutView.as_view(next_page="web:home")(request)


@login_required
def my_work(request):
    staff = _staff(request)
    # ?need= shows every row of one need (the page shows the first few of each); any other value, the page.
    need = next((n for n in next_steps.Need if n.value == request.GET.get("need")), None)
    work = pages.my_work(staff, request.today, need=need)
    audit_listing(at=request.now, actor=staff, children=work.children, detail="My work")
    # Imported here: the overview's page module reads the signed-in person through this one.
    from handover.web.overview import summary_for

    # For the senior managers, the totals of their overview (counts only: no child is named).
    overview = summary_for(staff, request.today)
    return render(
        request,
        "web/my_work.html",
        {"work": work, "today": request.today, "overview": overview, "need": need},
    )


@login_required
def search(request):
    staff = _staff(request)
    if not can_read_children(staff):
        raise PermissionDenied("your roles do not give access to children's records")
    query = request.GET.get("q", "").strip()
    team = request.GET.get("team", "")
    open_transfer = request.GET.get("open_transfer") == "yes"
    teams = Team.objects.filter(service__authority=staff.authority, active=True, service__external=False)
    errors: dict[str, str] = {}
    found = None
    if "q" in request.GET:
        form = SearchForm(request.GET, teams=teams)
        errors = form_errors(form, "q")
        if not errors:
            query = form.cleaned_data["q"]
            matches = children_search(
                staff=staff, query=query, team=form.cleaned_data["team"], open_transfer=open_transfer
            )
            found = search_page(matches, number=request.GET.get("page"), on=request.today)
            audit_record(
                at=request.now,
                actor=staff,
                verb=Verb.CHILD_LISTED,
                after={"children": [r.child.pk for r in found.results], "page": found.page.number},
                detail=f"search: {query}"[:300],
            )
    return render(
        request,
        "web/search.html",
        {
            "query": query.replace("\x00", ""),
            "found": found,
            "error": errors.get("q"),
            "team_error": errors.get("team"),
            "teams": teams,
            "team": team,
            "open_transfer": open_transfer,
        },
    )


def _child_or_404(staff, pk):

    child = visible_children(staff, Child.objects.all()).filter(pk=pk).first()
    if child is None:
        raise Http404("no such child")  # restricted and other authorities' records are "not found"
    return child


@login_required
def child_record(request, pk):
    staff = _staff(request)
    child = _child_or_404(staff, pk)
    siblings = selectors.siblings_of(child, staff)
    # The page names the child's siblings too, so the read is recorded against them as well.
    audit_record(
        at=request.now,
        actor=staff,
        verb=Verb.CHILD_VIEWED,
        child=child,
        obj=child,
        after={"siblings": [s.pk for s in siblings]} if siblings else None,
    )
    today = request.today
    allocations = child.allocations.select_related("team", "worker")
    can_see_audit = bool(roles_of(staff) & {r.value for r in (Role.AUDITOR, *MANAGER_ROLES, *SENIOR_ROLES)})
    protocol = protocol_for(child.authority)
    return render(
        request,
        "web/child.html",
        {
            "child": child,
            "current": [a for a in allocations if a.end is None],
            "social_workers_had": social_workers_had(child),
            "legal_statuses": child.legal_statuses.all(),
            "plans": child.plans.all(),
            # Each current version with the versions it replaced; types in the protocol's words, never ids.
            "documents": documents_on_file(child),
            "siblings": selectors.sibling_rows(child, siblings),
            "timeline": pages.child_timeline(child),
            "panel": recorded_panel(protocol),
            # What to offer: the rulebook's answer, the same the services enforce.
            "can_change": may_take_record_action(staff, child, RecordAction.CHANGE, today),
            "secondary": secondary_allocations_shown(staff, child, today),
            "can_add_secondary": bool(teams_offered(staff, child, today)),
            "can_propose": services.propose_refusal(staff, child) is None,
            # Contacts the front door passed to the team holding the case, each with whether this person may
            # say it has been read there.
            "contacts": [
                (c, c.read_at is None and may_team_write(staff, TeamWrite.CONTACT_READ, c.passed_to, today))
                for c in contacts_passed_on(child)
            ],
            "event_names": {e.id: e.name for e in protocol.file.events},
            "ethnicity": dict(ETHNICITIES).get(child.ethnicity, child.ethnicity),
            "transfers": child.transfers.select_related("from_team", "to_service", "to_team"),
            "audit": record_audit_trail(child, limit=50) if can_see_audit else None,
            "today": today,
            "may_export": access.may_privacy_action(staff, PrivacyAction.SUBJECT_ACCESS),
            "may_erase": child.closed_on is not None
            and access.may_privacy_action(staff, PrivacyAction.ERASE)
            and erasure_refusal(child, today) is None,
        },
    )


def _transfer_or_404(staff, pk):

    transfer = (
        Transfer.objects.filter(pk=pk, child__in=visible_children(staff, Child.objects.all()))
        .select_related(
            "child__authority",
            "from_team__service",
            "to_service",
            "to_team",
            "receiving_worker",
            "from_allocation__worker",
        )
        .first()
    )
    if transfer is None:
        raise Http404("no such transfer")
    return transfer


@login_required
def transfer_page(request, pk):

    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    audit_record(at=request.now, actor=staff, verb=Verb.TRANSFER_VIEWED, child=transfer.child, obj=transfer)
    today = request.today
    # The history is read once: the helpers below (the handover meeting, the completion, the steps) share it.
    prefetch_related_objects([transfer], Prefetch("events", queryset=selectors.transfer_events()))
    events = list(transfer.events.all())
    moved_on = services.transferred_on(transfer)
    # A closed transfer's step not done says so in words (not needed, or not recorded before the case moved),
    # never a due date as if still open.
    deadlines = [
        (
            d,
            selectors.due(staff, d.due, today, transfer),
            ""
            if d.actual or transfer.is_open
            else services.closed_step_words(transfer, d, moved_on=moved_on),
        )
        for d in transfer.deadlines.all()
    ]
    letters = list(transfer.letters.all())
    # What to offer: the rulebook's answers, the same the services enforce.
    may = {write: access.may(staff, write, transfer) for write in TransferWrite}
    return render(
        request,
        "web/transfer.html",
        {
            "transfer": transfer,
            "basis": transfer_basis(transfer),
            "deadlines": deadlines,
            "readiness": services.transfer_readiness(transfer, on=today),
            "sign_offs": selectors.sign_offs_of(transfer),
            "remedial_actions": [
                (
                    item,
                    transfer.is_open
                    and access.may(staff, TransferWrite.REMEDIAL_ACTION_DONE, transfer, remedial_action=item),
                )
                for item in transfer.remedial_actions.select_related("owner", "done_by")
            ],
            "manual_steps": services.transfer_manual_steps(transfer) if transfer.is_open else set(),
            "hand_closed": services.hand_closed_steps(transfer) if transfer.is_open else {},
            "summary": transfer.summaries.select_related("authorised_by", "drafted_by").first(),
            "letters": letters,
            "letters_status": letters_status(transfer, letters),
            "completion": services.completion(transfer),
            "moved_on": moved_on,
            "handover": services.handover_meeting(transfer),
            "can_send_letters": may[TransferWrite.LETTERS] and letters_ready(transfer),
            "outward": is_outward(transfer),
            "referral": ReferralOut.objects.filter(transfer=transfer)
            .select_related("sent_by", "receipt_recorded_by")
            .first(),
            "can_post_letters": may[TransferWrite.LETTERS] and notify_configured(),
            "events": [(event, services.event_details(event, transfer)) for event in events],
            "sign_off_kinds": _sign_offs_for(staff, transfer),
            "can_act": transfer.is_open and may[TransferWrite.UPDATE_FACTS],
            # Checklist items this person may confirm: the rule transfer_confirm_item enforces, asked here.
            "confirmable": _confirmable_items(staff, transfer) if transfer.is_open else set(),
            "may": {write.value: allowed for write, allowed in may.items()},
            "actions": [
                ACTION_LABELS[a.value] | {"action": a.value}
                for a in services.transfer_available_actions(staff, transfer)
            ],
        },
    )


def _confirmable_items(staff, transfer) -> set[str]:
    protocol = protocol_for_transfer(transfer)
    return {
        check.spec.id
        for check in protocol.readiness
        if check.spec.requires.confirmed_by is not None
        and access.may_confirm_item(staff, transfer, check.spec.requires.confirmed_by.value)
    }


def transfer_basis(transfer) -> str:
    """Why this transfer goes where it goes, in words: the event, the protocol's pathway and the clauses its rule
    cites, and the protocol version it runs under (never the rule's id)."""
    protocol = protocol_for_transfer(transfer)
    event = protocol.events.get(transfer.event)
    pathway = protocol.pathways.get(transfer.pathway)
    rule = next((r for r in protocol.file.rules if r.id == transfer.rule), None)
    version = transfer.protocol_version.partition("+")[0]
    said = f"{event.name if event else transfer.event} on {transfer.event_date:%-d %B %Y}"
    if pathway is None:
        return f"{said}. No rule of the protocol covered it: the managers decided ({version} version)."
    cites = f", as {', '.join(rule.cites)} say{'s' if len(rule.cites) == 1 else ''}" if rule else ""
    return f"{said}: {pathway.name}{cites} ({version} version of the protocol)."


def _sign_offs_for(staff, transfer) -> list[SignOffKind]:
    """The sign-offs still to do that this person may give (sending or receiving managers)."""
    if not transfer.is_open:
        return []
    done = {s.kind for s in transfer.sign_offs.all()}
    return [
        kind
        for kind in SignOffKind
        if kind.value not in done
        and kind is not SignOffKind.SUMMARY_AUTHORISED  # given by authorising the summary itself
        and access.may(staff, services.SIGN_OFF_WRITES[kind], transfer)
    ]


# Labels and "needs a reason" come from the workflow table, the one home of the transfer's rules.
ACTION_LABELS = {a.value: {"label": t.label, "reason": t.needs_reason} for a, t in TRANSITIONS.items()}


@login_required
def transfer_action(request, pk, action):
    """One page per action: the inputs it needs, then the workflow decides. Errors in the GOV.UK summary."""

    if action not in ACTION_LABELS:
        raise Http404("no such action")
    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    errors: dict[str, str] = {}
    handover = action == "record_handover"
    # Completing before the agreed date of formal transfer asks for the confirmation and the reason up front.
    early = (
        transfer.transfer_date
        if action == "complete" and transfer.transfer_date and request.today < transfer.transfer_date
        else None
    )
    attendee_choices = services.handover_attendee_choices(transfer, on=request.today) if handover else []
    values = {
        "reason": "",
        "to_team": "",
        "worker": "",
        "day": "",
        "month": "",
        "year": "",
        "confirm_early": "",
        "held_on-day": "",
        "held_on-month": "",
        "held_on-year": "",
        "others_attending": "",
        "notes": "",
    }
    attendees_ticked: list[str] = []
    if request.method == "POST":
        values.update({k: request.POST.get(k, "").strip() for k in values})
        attendees_ticked = request.POST.getlist("attendees")
        authority = transfer.child.authority
        form = TransferActionForm(
            request.POST,
            teams=Team.objects.filter(service__authority=authority),
            workers=StaffMember.objects.filter(authority=authority),
            needs_reason=ACTION_LABELS[action]["reason"],
            needs_date=action == "agree",
            attendees=StaffMember.objects.filter(pk__in=[s.pk for s, _ in attendee_choices]),
            handover=handover,
        )
        errors.update(
            form_errors(form, "held_on" if handover else "transfer_date", anchors={"version": "action"})
        )
        if not errors:
            v = form.cleaned_data
            try:
                done = services.transfer_act(
                    now=request.now,
                    actor=staff,
                    transfer=transfer,
                    action=action,
                    expected_version=v["version"],
                    reason=v["reason"],
                    to_team=v["to_team"] if action == "agree" else None,
                    transfer_date=v["transfer_date"],
                    worker=v["worker"] if action == "identify_worker" else None,
                    confirm_early=v["confirm_early"],
                    held_on=v["held_on"],
                    attendees=list(v["attendees"] or ()) if handover else (),
                    others_attending=v["others_attending"] if handover else "",
                    notes=v["notes"] if handover else "",
                )
                messages.success(
                    request,
                    f"{ACTION_LABELS[action]['label']}: done. The transfer of {done.child.name} is now "
                    f"{done.get_state_display()}.",
                )
                return redirect("web:transfer", pk=transfer.pk)
            except Refusal as exc:
                errors.update(refusal_errors(exc, "action"))
    context = {
        "transfer": transfer,
        "action": action,
        "label": ACTION_LABELS[action]["label"],
        "needs_reason": ACTION_LABELS[action]["reason"] or bool(early),
        "reason_label": f"Why complete it before {early:%-d %B %Y}" if early else "Reason",
        "early": early,
        "attendee_choices": [(s, words, str(s.pk) in attendees_ticked) for s, words in attendee_choices],
        "held_on_typed": {p: values[f"held_on-{p}"] for p in ("day", "month", "year")},
        "errors": errors,
        "values": values,
        "teams": services.eligible_receiving_teams(transfer) if action == "agree" else [],
        # Each candidate with why they may not be named (a qualified worker required: D-026), or None.
        "workers": (
            services.receiving_worker_choices(transfer, on=request.today)
            if action == "identify_worker"
            else []
        ),
    }
    if request.method != "POST":  # a read; a refused POST re-shows the page and writes nothing
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.TRANSFER_VIEWED,
            child=transfer.child,
            obj=transfer,
            detail=f"{ACTION_LABELS[action]['label']} page",
        )
    return render(request, "web/transfer_action.html", context, status=400 if errors else 200)


@login_required
def escalations(request):
    staff = _staff(request)
    rows = selectors.open_escalations_for(staff, request.today)
    audit_listing(
        at=request.now,
        actor=staff,
        children=[row.escalation.transfer.child_id for row in rows],
        detail="Escalations",
    )
    offered = [
        (
            row,
            access.may(
                staff,
                TransferWrite.ESCALATION_ACKNOWLEDGE,
                row.escalation.transfer,
                escalation=row.escalation,
            )
            and row.escalation.acknowledged_at is None,
        )
        for row in rows
    ]
    return render(request, "web/escalations.html", {"escalations": offered})


@login_required
def escalation_acknowledge(request, pk):
    """POST only: "I have this"; back to the escalations page, with the refusal if the rulebook says no."""
    staff = _staff(request)
    escalation = get_object_or_404(
        Escalation.objects.select_related("transfer"),
        pk=pk,
        transfer__child__in=visible_children(staff, Child.objects.all()),
    )
    if request.method == "POST":
        try:
            escalation_services.escalation_acknowledge(actor=staff, escalation=escalation, now=request.now)
            messages.success(request, "Escalation acknowledged: it stays open until the work is done.")
        except Refusal as exc:
            message = (
                "; ".join(exc.errors.values()) if isinstance(exc, services.ApplicationError) else str(exc)
            )
            messages.error(request, sentence(message))
    return redirect("web:escalations")


@login_required
def team(request, pk=None):
    staff = _staff(request)
    if not access.may_open_team_page(staff):  # the rule the navigation asks too
        raise PermissionDenied("the team page is for team managers, practice managers and senior managers")
    teams = access.team_page_teams(staff)
    chosen = next((t for t in teams if t.pk == pk), teams[0] if teams else None)
    if chosen is None:
        raise Http404("no team")
    pressure = pages.team_pressure(chosen, request.today, staff)
    audit_listing(
        at=request.now, actor=staff, obj=chosen, children=pressure.children, detail=f"Team: {chosen}"
    )
    return render(
        request,
        "web/team.html",
        {
            "teams": teams,
            "pressure": pressure,
            "can_register": may_team_write(staff, TeamWrite.STAFF_REGISTRATION, chosen, request.today),
        },
    )


def _anchor_words(anchor: str, steps: dict[str, str]) -> str:
    if anchor == "event":
        return "the event"
    if anchor in steps:
        return steps[anchor][:1].lower() + steps[anchor][1:]
    return "the " + anchor.replace(".", "'s ").replace("_", " ")


def _when_words(step, steps: dict[str, str]) -> str:
    if step.at_age:
        return f"at age {step.at_age}"
    if getattr(step, "at", None):
        return f"at the next {step.at.replace('_', ' ')}"
    if step.within is None:
        return ""
    anchor = getattr(step, "after", None) or getattr(step, "before", None)
    side = "after" if getattr(step, "after", None) else "before"
    return f"{step.within} {side} {_anchor_words(anchor, steps)}" if anchor else str(step.within)


@login_required
def protocol_page(request):
    staff = _staff(request)
    protocol = protocol_for(staff.authority)
    spec = protocol.file
    timescales = []
    for timeline in spec.timelines:
        names = {st.id: st.name for st in timeline.steps}
        timescales += [(st.name, _when_words(st, names), st.cites) for st in timeline.steps]
    timescales += [(t.name, _when_words(t, {}), t.cites) for t in spec.timescales]
    ladder = [(role_words(level.who.value), level) for level in spec.escalation]
    return render(
        request,
        "web/protocol.html",
        {"protocol": protocol, "spec": spec, "timescales": timescales, "ladder": ladder},
    )


@login_required
def transfer_sign_off(request, pk, kind):
    """POST only: sign off (summary authorised, file audited) or confirm a checklist item; back to the transfer."""
    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    if request.method != "POST":
        return redirect("web:transfer", pk=transfer.pk)
    try:
        if kind in SignOffKind.values:
            services.transfer_sign_off(now=request.now, actor=staff, transfer=transfer, kind=kind)
        else:
            services.transfer_confirm_item(now=request.now, actor=staff, transfer=transfer, item=kind)
    except Refusal as exc:
        message = "; ".join(exc.errors.values()) if isinstance(exc, services.ApplicationError) else str(exc)
        messages.error(request, sentence(message))
    return redirect("web:transfer", pk=transfer.pk)


@login_required
def remedial_action_mark(request, pk, action_id, verb):
    """POST only: mark a remedial action done, or reopen it."""
    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    item = get_object_or_404(RemedialAction, pk=action_id, transfer=transfer)
    if verb not in ("done", "reopen"):
        raise Http404("no such change to a remedial action")
    if request.method == "POST":
        service = services.remedial_action_done if verb == "done" else services.remedial_action_reopen
        try:
            service(now=request.now, actor=staff, action=item)
        except Refusal as exc:
            message = (
                "; ".join(exc.errors.values()) if isinstance(exc, services.ApplicationError) else str(exc)
            )
            messages.error(request, sentence(message))
    return redirect("web:transfer", pk=transfer.pk)


@login_required
def transfer_step_done(request, pk, step):
    """POST only: close a timeline step the protocol closes by an explicit "done"."""
    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    if request.method == "POST":
        try:
            services.transfer_step_done(now=request.now, actor=staff, transfer=transfer, step=step)
        except Refusal as exc:
            message = (
                "; ".join(exc.errors.values()) if isinstance(exc, services.ApplicationError) else str(exc)
            )
            messages.error(request, sentence(message))
    return redirect("web:transfer", pk=transfer.pk)


@login_required
def transfer_step_reopen(request, pk, step):
    """Reopen a step marked done by mistake, with the reason: a GET shows the form, a POST reopens it (the
    service refuses a step not closed by hand)."""
    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    deadline = transfer.deadlines.filter(step=step).first()
    if deadline is None:
        raise Http404("no such step on this transfer")
    errors: dict[str, str] = {}
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        try:
            services.transfer_step_reopen(
                now=request.now, actor=staff, transfer=transfer, step=step, reason=reason
            )
            messages.success(request, f"{deadline.name} is open again.")
            return redirect("web:transfer", pk=transfer.pk)
        except Refusal as exc:
            errors.update(refusal_errors(exc, "reason"))
    else:  # a read; a refused POST re-shows the page and writes nothing
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.TRANSFER_VIEWED,
            child=transfer.child,
            obj=transfer,
            detail=f"reopen {deadline.name} page",
        )
    context = {"transfer": transfer, "deadline": deadline, "errors": errors, "reason": reason}
    return render(request, "web/transfer_step_reopen.html", context, status=400 if errors else 200)


@login_required
def remedial_action_new(request, pk):
    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    errors: dict[str, str] = {}
    values = {"description": "", "owner": "", "due-day": "", "due-month": "", "due-year": ""}
    owners = StaffMember.objects.filter(
        active=True, memberships__team__in=[transfer.from_team_id, transfer.to_team_id or 0]
    ).distinct()
    if request.method == "POST":
        values.update({k: request.POST.get(k, "").strip() for k in values})
        form = RemedialActionForm(request.POST, owners=owners)
        errors.update(form_errors(form, "due"))
        if not errors:
            try:
                services.remedial_action_create(
                    now=request.now,
                    actor=staff,
                    transfer=transfer,
                    description=form.cleaned_data["description"],
                    owner=form.cleaned_data["owner"],
                    due=form.cleaned_data["due"],
                )
                back = request.POST.get("next", "")
                if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                    return redirect(back)
                return redirect("web:transfer", pk=transfer.pk)
            except Refusal as exc:
                errors.update(refusal_errors(exc, "description"))
    if request.method != "POST":  # a read; a refused POST re-shows the page and writes nothing
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.TRANSFER_VIEWED,
            child=transfer.child,
            obj=transfer,
            detail="remedial action page",
        )
    return render(
        request,
        "web/remedial_action.html",
        {
            "transfer": transfer,
            "owners": owners,
            "errors": errors,
            "values": values,
            "next": request.POST.get("next", request.GET.get("next", "")),
            "due_typed": {p: values[f"due-{p}"] for p in ("day", "month", "year")},
        },
        status=400 if errors else 200,
    )
