"""The propose-a-transfer journey, one question per page, answers kept in the session until confirmed.

event → facts (only the ones the protocol still needs) → recommendation (accept, or choose another service
with a reason) → readiness (what is missing, what blocks) → siblings → check answers → confirmation.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.children.selectors import current_primary
from handover.domain import text
from handover.domain.explain import decision_data
from handover.domain.facts import FactType
from handover.domain.routing import events_from
from handover.organisation.access import AccessDenied
from handover.organisation.models import Service
from handover.organisation.protocol import protocol_for
from handover.transfers import services
from handover.web.forms import sentence, typed_date
from handover.web.views import _child_or_404, _staff

STEPS = ("event", "facts", "recommendation", "readiness", "siblings", "check")
SOMETHING_ELSE = "something_else"  # the event radio that opens the list of the protocol's other events


def _key(child) -> str:
    return f"propose:{child.pk}"


def _answers(state: dict) -> dict:
    answers: dict = {}
    for name, value in state.get("facts", {}).items():
        section, _, rest = name.partition(".")
        if section in ("child", "history", "siblings", "mother") and rest:
            answers.setdefault(section, {})[rest] = value
        else:
            answers.setdefault("facts", {})[name] = value
    return answers


def _answers_in_words(protocol, state: dict) -> list[tuple[str, str]]:
    """What was answered, as people read it: each question, then its answer in words (a date as a date)."""
    event = protocol.events.get(state.get("event", ""))
    day = dt.date.fromisoformat(state["date"]) if state.get("date") else None
    rows = [
        (
            "What happened",
            f"{event.name if event else state.get('event', '')} on {day:%-d %B %Y}" if day else "",
        )
    ]
    for name, value in state.get("facts", {}).items():
        spec = protocol.facts.get(name)
        if spec is None:
            continue
        if spec.type is FactType.DATE and isinstance(value, str):
            words = f"{dt.date.fromisoformat(value):%-d %B %Y}"
        elif spec.type is FactType.SERVICE:
            service = protocol.services.get(str(value))
            words = service.name if service else str(value)
        else:
            words = spec.words(value)
        rows.append((spec.question, words))
    return rows


@login_required
def propose(request, pk, step="event"):
    if step not in STEPS:
        raise Http404("no such step")
    staff = _staff(request)
    child = _child_or_404(staff, pk)
    protocol = protocol_for(child.authority)
    state = request.session.get(_key(child), {})
    errors: dict[str, str] = {}
    context: dict = {"child": child, "step": step, "protocol": protocol}
    if refusal := services.propose_refusal(staff, child):
        # The rulebook says no before any question is asked: the same refusal the last step would give.
        return render(request, "web/propose/refused.html", {"child": child, "refusal": refusal}, status=403)

    def save_and(next_step):
        request.session[_key(child)] = state
        return redirect("web:propose_step", pk=child.pk, step=next_step)

    if step != "event" and "event" not in state:
        return redirect("web:propose", pk=child.pk)
    decision = None
    if step != "event":
        try:
            situation, decision = services.transfer_recommend(
                child=child,
                event=state["event"],
                on=dt.date.fromisoformat(state["date"]),
                answers=_answers(state),
            )
        except services.ApplicationError as exc:
            errors.update(exc.errors)
        context["decision"] = decision_data(protocol, decision) if decision else None

    if step == "event":
        # What can happen to the child in the service that holds them comes first; the protocol's other events
        # (no rule from there: the managers decide) under "Something else"; events that arrive at another
        # service, such as a referral at the front door, not at all.
        holding = current_primary(child).team.service
        offered = events_from(protocol, holding.code)
        chosen = request.POST.get("event", "") if request.method == "POST" else state.get("event", "")
        other = chosen if chosen in offered.others else ""
        if request.method == "POST":
            event, on = chosen, typed_date(request.POST, "date")
            if not event and request.POST.get("other_event"):
                event = SOMETHING_ELSE  # chosen from the list without ticking "Something else" first
            if event == SOMETHING_ELSE:
                event = other = request.POST.get("other_event", "")
                if event not in offered.others:
                    errors["other_event"] = "Select what has happened from the list"
            elif event not in offered.routed + offered.others:
                errors["event"] = "Select what has happened"
            if on is None:
                errors["date"] = "Enter the date it happened, like 24 11 2026"
            elif problem := services.event_date_problem(child, on, today=request.today):
                errors["date"] = sentence(problem)
            if not errors:
                state = {"event": event, "date": on.isoformat(), "facts": {}}
                return save_and("facts")
        context.update(
            {
                "holding": holding,
                "events": [protocol.events[e] for e in offered.routed],
                "other_events": [protocol.events[e] for e in offered.others],
                "chosen": SOMETHING_ELSE if other else chosen,
                "other_event": other,
            }
        )
    elif step == "facts":
        missing = services.transfer_questions(child, situation, decision) if decision is not None else []
        name = missing[0] if missing else None
        if name is None:
            return save_and("recommendation")
        spec = protocol.facts[name]
        if request.method == "POST":
            raw = request.POST.get("value", "")
            value = None
            if spec.type is FactType.BOOL:
                value = {"yes": True, "no": False}.get(raw)
            elif spec.type is FactType.DATE:
                day = typed_date(request.POST, "value")
                value = day.isoformat() if day else None
            elif spec.type in (FactType.ENUM, FactType.SERVICE):
                allowed = spec.values if spec.type is FactType.ENUM else tuple(protocol.services)
                value = raw if raw in allowed else None
            else:
                value = raw.strip() or None
            problem = text.text_problem("answer", value, text.REASON) if isinstance(value, str) else None
            if value is None or problem:
                errors["value"] = sentence(problem) if problem else f"Answer the question: {spec.question}"
            else:
                state.setdefault("facts", {})[name] = value
                return save_and("facts")
        context.update(
            {
                "fact": spec,
                "fact_name": name,
                "remaining": len(missing),
                "options": [(value, spec.words(value)) for value in spec.values],
            }
        )
    elif step == "recommendation":
        candidates = list(decision.candidate_services) if decision else []
        if request.method == "POST":
            choice = request.POST.get("to_service", "")
            reason = request.POST.get("override_reason", "").strip()
            if choice not in protocol.services:
                errors["to_service"] = "Select the receiving service"
            elif problems := services.override_errors(protocol, candidates, choice, reason):
                errors.update(problems)
            elif problem := text.text_problem("reason", reason, text.REASON):
                errors["override_reason"] = sentence(problem)
            if not errors:
                state.update(
                    {"to_service": choice, "override_reason": reason if choice not in candidates else ""}
                )
                return save_and("readiness")
        context.update({"candidates": candidates, "services": protocol.file.services})
    elif step == "readiness":
        if request.method == "POST":
            return save_and("siblings")
    elif step == "siblings":
        siblings = services.siblings_with_same_worker(child)
        if not siblings:
            state["with_siblings"], state["separation_reasons"] = [], {}
            return save_and("check")
        if request.method == "POST":
            chosen = {int(v) for v in request.POST.getlist("with_siblings") if v.isascii() and v.isdigit()}
            reasons = {
                sibling.pk: request.POST.get(f"reason-{sibling.pk}", "").strip()
                for sibling in siblings
                if sibling.pk not in chosen
            }
            # The service's own rule, asked now so the person can answer it here.
            problems = services.sibling_errors(
                protocol, child, siblings, [c for c in siblings if c.pk in chosen], reasons
            )
            for sibling_id, reason in reasons.items():
                if problem := text.text_problem("reason", reason, text.REASON):
                    problems[f"separation_reasons.{sibling_id}"] = problem
            errors.update({f"reason-{key.rpartition('.')[2]}": sentence(m) for key, m in problems.items()})
            reasons = {str(k): v for k, v in reasons.items() if v}
            if not errors:
                state.update({"with_siblings": sorted(chosen), "separation_reasons": reasons})
                return save_and("check")
        context["siblings"] = siblings
    elif step == "check":
        if request.method == "POST":
            siblings = {s.pk: s for s in services.siblings_with_same_worker(child)}
            try:
                proposal = services.transfer_propose(
                    now=request.now,
                    actor=staff,
                    child=child,
                    event=state["event"],
                    on=dt.date.fromisoformat(state["date"]),
                    answers=_answers(state),
                    to_service=Service.objects.get(authority=child.authority, code=state["to_service"]),
                    override_reason=state.get("override_reason", ""),
                    with_siblings=[siblings[i] for i in state.get("with_siblings", []) if i in siblings],
                    separation_reasons={int(k): v for k, v in state.get("separation_reasons", {}).items()},
                )
            except services.ApplicationError as exc:
                errors.update(exc.errors)
            except AccessDenied as exc:
                errors["check"] = sentence(str(exc))
            else:
                request.session.pop(_key(child), None)
                return render(
                    request, "web/propose/done.html", {"child": child, "transfers": proposal.transfers}
                )
        context["state"] = state
        context["to_service"] = protocol.services.get(state.get("to_service", ""))
        context["answers"] = _answers_in_words(protocol, state)
    if step in ("readiness", "check") and state.get("to_service") and decision is not None:
        recommended = state["to_service"] in decision.candidate_services
        context["readiness"] = services.transfer_preview_readiness(
            child=child,
            event=state["event"],
            on=dt.date.fromisoformat(state["date"]),
            answers=_answers(state),
            to_service=Service.objects.get(authority=child.authority, code=state["to_service"]),
            pathway=decision.pathway.id if recommended and decision.pathway else None,
        )
    context["errors"] = errors
    context["state"] = state
    if request.method != "POST":  # a read; a refused POST re-shows the page and writes nothing
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.CHILD_VIEWED,
            child=child,
            obj=child,
            detail=f"propose a transfer: {step}",
        )
    return render(request, f"web/propose/{step}.html", context, status=400 if errors else 200)
