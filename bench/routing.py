"""Benchmark: the routing engine against the same decision table written out by hand.

Run with ``python bench/routing.py [--n 100000] [--repeat 5] [--missing 0.02] [--seed 2024] [--profile]``.
Takes about 9 s on a 2-core machine with the defaults.

For each bundled protocol (Dorset; Central Bedfordshire if its file loads), in one process:

1. generate N synthetic situations (JSON-like dicts) with a seeded ``random.Random``: events weighted as a
   front door sees them, dates of birth (some on the 15y8m / 18y boundaries), closures inside, on the edge of
   and outside the 3-month / 11-weeks-6-days / 12-month windows, legal statuses, plans, disability and the
   authority's own facts. Each situation gives every fact the event's rules read, so the engine decides it; a
   fraction (``--missing``) then has one given fact removed, which often (not always) leaves it undetermined;
2. convert them once with ``situation_facts`` (not timed);
3. time ``route(protocol, facts)`` over all N, ``--repeat`` times (garbage collector off, as ``timeit``
   does), and the hand-written function below the same way; report the medians;
4. check that both give the same (outcome, receiving service, candidate services) for every situation.

The hand-written functions (``dorset_by_hand``, ``central_bedfordshire_by_hand``) implement each protocol's
rules with plain if/else, including the engine's three-valued treatment of missing facts (a rule that cannot
be evaluated and could change the answer makes the decision "undetermined") and its overrides. They were
written against the rules whose fingerprint is in ``HAND_WRITTEN_FOR``; if a protocol file's rules change,
the script says so and any disagreement is expected until the function is updated.

Exit status: 0 when the engine and the hand-written table agree everywhere (whether or not the speed goals
are met), 1 on any disagreement or if a generated situation is refused by the protocol.
"""

import sys
from pathlib import Path

# bench/calendar.py sits beside this file: run as a script, this folder comes first on sys.path and would
# shadow the standard library's ``calendar`` (imported by dateutil, holidays and below). Drop the folder.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import calendar  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Mapping  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from typing import Any  # noqa: E402

from handover.domain.errors import HandoverError  # noqa: E402
from handover.domain.protocol.loader import load_protocol  # noqa: E402
from handover.domain.protocol.model import Protocol  # noqa: E402
from handover.domain.routing import route  # noqa: E402
from handover.domain.situation import situation_facts  # noqa: E402

ENGINE_GOAL = 100_000  # decisions per second, one core
RATIO_GOAL = 3.0  # hand-written speed / engine speed, at most

# Rules fingerprint (see `rules_fingerprint`) each hand-written function was written against.
HAND_WRITTEN_FOR = {
    "dorset": "08b460b43aad",
    "central-bedfordshire": "5d8d822edcaf",
}

Key = tuple[str, str | None, tuple[str, ...]]  # (outcome, receiving service, candidate services)

# ---------------------------------------------------------------------------------------------------------
# Date arithmetic for the hand-written tables (written here, not taken from the engine).


def _months_back(day: date, months: int) -> date:
    """`day` less a number of calendar months, clamped to the end of a shorter month (31 May - 3 months)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


_83_DAYS = timedelta(days=83)  # "11 weeks 6 days" (Central Bedfordshire's 12-week boundary)
AGE_15Y8M = 15 * 12 + 8  # months
AGE_18Y = 18 * 12

# ---------------------------------------------------------------------------------------------------------
# Outcomes, as (outcome, receiving service, candidate services): the same triple read off a Decision.

UNDETERMINED: Key = ("undetermined", None, ())
NO_RULE: Key = ("no_rule", None, ())


def _to(service: str) -> Key:
    return ("route", service, (service,))


def _choose(*services: str) -> Key:
    return ("decide", None, services)


def _previous(g: Callable[[str], Any]) -> Key:
    """'Back to the service that held the case': the current one, else the last; unknown -> undetermined."""
    service = g("history.current_service") or g("history.last_service")
    return ("route", service, (service,)) if service is not None else UNDETERMINED


def engine_key(decision: Any) -> Key:
    return (decision.outcome, decision.receiving_service, decision.candidate_services)


# ---------------------------------------------------------------------------------------------------------
# Dorset (2017), written by hand from src/handover/protocols/dorset.yaml.
#
# Every rule also requires `transfer.from` to be one of its pathway's `from` services. A rule is True, False
# or unknown (a fact it needs is missing). The rules of an event are tried in override order: a True rule
# decides; an unknown one makes the decision undetermined when no True rule overrides it or shares its
# pathway (for each event below the order makes "first not-False rule decides" exact; the notes say why).

D_SEPARATED = _to("separated_children")
D_PRIVATE_FOSTERING = _to("private_fostering")
D_CHAD = _to("chad")
D_ASSESSMENT = _to("assessment")
D_EARLY_HELP = _to("early_help")
D_COURT = _to("court")
D_CIN_CP = _to("cin_cp")
D_LAC = _to("lac")
D_ASPIRE = _to("aspire")
D_LEAVING_CARE = _to("leaving_care")
D_OTHER_AUTHORITY = _to("other_authority")
D_LAC_OR_COURT = _choose("lac", "court")
D_ASSESSMENT_OR_CIN_CP = _choose("assessment", "cin_cp")


def _d_school_age_in_care(f: Mapping[str, Any]) -> bool | None:
    """D-129: aged 5 and under 16 on the event date (an unborn child is neither)."""
    g = f.get
    if g("child.unborn") is True:
        return False
    born = g("child.birth_date")
    if born is None:
        return None
    on = f["event.date"]
    return _months_back(on, 16 * 12) < born <= _months_back(on, 5 * 12)


def _d_referral(f: Mapping[str, Any]) -> Key:
    # Order: unborn with a looked after mother (D-095) > unaccompanied > re-referral within 3 months > private
    # fostering > CHAD > assessment > early help. Each overrides those after it that it could clash with; the
    # rest are exclusive on mash_decision.
    g = f.get
    tf = g("transfer.from")
    if tf != "mash" and tf is not None:
        return NO_RULE
    on = f["event.date"]
    unborn = g("child.unborn")
    mother = g("mother.looked_after")
    if unborn is not False and mother is not False:
        if tf and unborn and mother:
            return D_ASSESSMENT
        # Unknown whether it applies: it changes nothing if the rest sends the child to Assessment too (the
        # same pathway).
        rest = _d_referral_rest(f, tf, on)
        return rest if rest == D_ASSESSMENT and not _d_may_be_re_referral(f, on) else UNDETERMINED
    return _d_referral_rest(f, tf, on)


def _d_may_be_re_referral(f: Mapping[str, Any], on: date) -> bool:
    """Whether the re-referral rule may fire (another pathway, even when the previous team is Assessment)."""
    g = f.get
    decision = g("mash_decision")
    closed = g("history.closed_on")
    return (
        (decision is None or decision == "assessment")
        and g("history.previously_known") is not False
        and g("history.open") is not True
        and (closed is None or _months_back(on, 3) <= closed <= on)
    )


def _d_referral_rest(f: Mapping[str, Any], tf: str | None, on: date) -> Key:
    g = f.get
    asylum = g("child.asylum_status")
    if asylum is None or asylum == "unaccompanied_seeking_asylum":
        if g("child.unborn") is True:
            under_18 = True
        else:
            born = g("child.birth_date")
            under_18 = None if born is None else born > _months_back(on, AGE_18Y)
        if under_18 is not False:
            return D_SEPARATED if (tf and asylum and under_18) else UNDETERMINED
    decision = g("mash_decision")
    if decision is None or decision == "assessment":
        known = g("history.previously_known")
        is_open = g("history.open")
        if known is not False and is_open is not True:
            closed = g("history.closed_on")
            if closed is None or _months_back(on, 3) <= closed <= on:
                if tf and decision and known and is_open is False and closed:
                    return _previous(g)
                return UNDETERMINED
    fostering = g("private_fostering_arrangement")
    if fostering is not False:
        return D_PRIVATE_FOSTERING if (tf and fostering) else UNDETERMINED
    if decision is None:
        return UNDETERMINED
    if decision == "assessment":
        disabled = g("child.disability")
        eligible = g("chad_eligible")
        if disabled is not False and eligible is not False:
            return D_CHAD if (tf and disabled and eligible) else UNDETERMINED
        return D_ASSESSMENT if tf else UNDETERMINED
    if decision == "early_help":
        return D_EARLY_HELP if tf else UNDETERMINED
    return NO_RULE


def _d_court_report_request(f: Mapping[str, Any]) -> Key:
    # section7_request / section37_request: back to the originating team (overrides) else the court team.
    g = f.get
    tf = g("transfer.from")
    if tf != "mash" and tf is not None:
        return NO_RULE
    known = g("history.previously_known")
    last = g("history.last_service")
    if known is not False and last != "assessment" and last != "mash":
        is_open = g("history.open")
        if is_open is True:
            recent = True
        else:
            closed = g("history.closed_on")
            on = f["event.date"]
            within = None if closed is None else _months_back(on, 3) <= closed <= on
            recent = True if within else (None if is_open is None or within is None else False)
        if recent is not False:
            return _previous(g) if (tf and known and last and recent) else UNDETERMINED
    return D_COURT if tf else UNDETERMINED


def _d_assessment_concluded(f: Mapping[str, Any]) -> Key:
    # Unborn baby with siblings in proceedings overrides the four outcomes, which are exclusive on
    # assessment_outcome (and the two cin_plan ones on disability / CHAD eligibility).
    g = f.get
    tf = g("transfer.from")
    if tf is None or tf == "assessment":
        unborn = g("child.unborn")
        siblings = g("siblings.in_care_proceedings")
        if unborn is not False and siblings is not False:
            return D_COURT if (tf and unborn and siblings) else UNDETERMINED
    elif tf != "cin_cp" and tf != "private_fostering":
        return NO_RULE
    outcome = g("assessment_outcome")
    if outcome is None:
        return UNDETERMINED
    if outcome == "step_down_early_help":  # from assessment, cin_cp or private_fostering
        return D_EARLY_HELP if tf else UNDETERMINED
    if tf is not None and tf != "assessment":
        return NO_RULE
    if outcome == "cin_plan":
        disabled = g("child.disability")
        eligible = g("chad_eligible")
        if tf and (disabled is False or eligible is False):
            return D_CIN_CP
        if tf and disabled and eligible:
            return D_CHAD
        return UNDETERMINED
    nrpf = g("nrpf")  # no_intervention
    if nrpf is False:
        return NO_RULE
    return D_SEPARATED if (tf and nrpf) else UNDETERMINED


def _d_icpc_held(f: Mapping[str, Any]) -> Key:
    g = f.get
    tf = g("transfer.from")
    if tf != "assessment" and tf is not None:
        return NO_RULE
    plan = g("child.plan")
    if plan == "cp":
        return D_CIN_CP if tf else UNDETERMINED
    return UNDETERMINED if plan is None else NO_RULE


def _d_lgp_decision(f: Mapping[str, Any]) -> Key:
    g = f.get
    tf = g("transfer.from")
    if tf is not None and tf != "assessment" and tf != "cin_cp" and tf != "lac":
        return NO_RULE
    outcome = g("lgp_outcome")
    if outcome == "initiate_plo":
        return D_COURT if tf else UNDETERMINED
    if outcome == "looked_after_without_plo":
        if tf == "lac":
            return NO_RULE
        school_age = _d_school_age_in_care(f)
        if school_age is False:
            return NO_RULE
        return D_LAC if (tf and school_age) else UNDETERMINED
    return UNDETERMINED if outcome is None else NO_RULE


def _d_care_order_made(f: Mapping[str, Any]) -> Key:
    g = f.get
    tf = g("transfer.from")
    if tf is not None and tf != "court":
        return NO_RULE
    school_age = _d_school_age_in_care(f)
    if school_age is False:
        return NO_RULE
    return D_LAC if (tf and school_age) else UNDETERMINED


def _d_proceedings_concluded(f: Mapping[str, Any]) -> Key:
    g = f.get
    tf = g("transfer.from")
    if tf != "court" and tf is not None:
        return NO_RULE
    plan = g("child.plan")
    status = g("child.legal_status")
    if (plan is not None and plan != "cin" and plan != "cp") or status == "supervision_order":
        return NO_RULE
    return D_CIN_CP if (tf and plan and status) else UNDETERMINED


def _d_court_report_completed(f: Mapping[str, Any]) -> Key:
    g = f.get
    tf = g("transfer.from")
    if tf != "court" and tf is not None:
        return NO_RULE
    need = g("ongoing_need_identified")
    if need is False:
        return NO_RULE
    return D_CIN_CP if (tf and need) else UNDETERMINED


def _d_viability_assessment_concluded(f: Mapping[str, Any]) -> Key:
    # Positive viability, or negative with a court-ordered SGO assessment: the same pathway to Aspire.
    g = f.get
    tf = g("transfer.from")
    if tf is not None and tf != "court" and tf != "cin_cp" and tf != "lac":
        return NO_RULE
    viability = g("viability_assessment")
    if viability is None:
        return UNDETERMINED
    if viability == "positive":
        return D_ASPIRE if tf else UNDETERMINED
    ordered = g("sgo_assessment_court_ordered")
    if ordered is False:
        return NO_RULE
    return D_ASPIRE if (tf and ordered) else UNDETERMINED


def _d_adm_decision_made(f: Mapping[str, Any]) -> Key:
    g = f.get
    tf = g("transfer.from")
    if tf is not None and tf != "court" and tf != "lac":
        return NO_RULE
    decision = g("adm_decision")
    if decision == "adoption_agreed":
        return D_ASPIRE if tf else UNDETERMINED
    return UNDETERMINED if decision is None else NO_RULE


def _d_ceases_looked_after(f: Mapping[str, Any]) -> Key:
    # CIN/CP plan (not a supervision order) or a supervision order, both only if the plan exceeds 3 months.
    g = f.get
    tf = g("transfer.from")
    if tf != "lac" and tf is not None:
        return NO_RULE
    long_plan = g("plan_exceeds_3_months")
    if long_plan is False:
        return NO_RULE
    status = g("child.legal_status")
    if status == "supervision_order":
        return D_COURT if (tf and long_plan) else UNDETERMINED
    if status is None:
        return UNDETERMINED
    plan = g("child.plan")
    if plan is not None and plan != "cin" and plan != "cp":
        return NO_RULE
    return D_CIN_CP if (tf and plan and long_plan) else UNDETERMINED


def _d_age_reached(f: Mapping[str, Any]) -> Key:
    # Personal adviser from 15y8m to 18 for a looked after child; leaving care at 18 for a separated young
    # person with leave to remain. Exclusive on age.
    g = f.get
    tf = g("transfer.from")
    if tf is not None and tf != "lac" and tf != "separated_children":
        return NO_RULE
    if g("child.unborn") is True:
        return NO_RULE  # "at least N years" is false for an unborn child
    born = g("child.birth_date")
    if born is None:
        from_15y8m = reached_18 = None
    else:
        on = f["event.date"]
        from_15y8m = born <= _months_back(on, AGE_15Y8M)
        reached_18 = born <= _months_back(on, AGE_18Y)
    plan = g("child.plan")
    if (plan is None or plan == "cla") and from_15y8m is not False and reached_18 is not True:
        return D_LEAVING_CARE if (tf and plan and from_15y8m and reached_18 is False) else UNDETERMINED
    if tf is not None and tf != "separated_children":
        return NO_RULE
    asylum = g("child.asylum_status")
    if reached_18 is False or (asylum is not None and asylum != "leave_to_remain"):
        return NO_RULE
    return D_LEAVING_CARE if (tf and reached_18 and asylum) else UNDETERMINED


def _only_from(sources: frozenset[str], outcome: Key) -> Callable[[Mapping[str, Any]], Key]:
    """An event with one unconditional rule: its pathway's sources decide."""

    def decide(f: Mapping[str, Any]) -> Key:
        tf = f.get("transfer.from")
        if tf in sources:
            return outcome
        return UNDETERMINED if tf is None else NO_RULE

    return decide


_DORSET: dict[str, Callable[[Mapping[str, Any]], Key]] = {
    "referral": _d_referral,
    "section7_request": _d_court_report_request,
    "section37_request": _d_court_report_request,
    "out_of_area_court_request": _only_from(frozenset({"mash"}), D_COURT),
    "transfer_in_request": _only_from(frozenset({"mash"}), D_CIN_CP),
    "sgo_enquiry": _only_from(frozenset({"mash"}), D_ASPIRE),
    "assessment_concluded": _d_assessment_concluded,
    "icpc_held": _d_icpc_held,
    "becomes_looked_after": _only_from(frozenset({"assessment", "cin_cp"}), D_LAC_OR_COURT),
    "lgp_decision": _d_lgp_decision,
    "care_order_made": _d_care_order_made,
    "placement_order_made": _only_from(frozenset({"court"}), D_ASPIRE),
    "cafcass_consent_obtained": _only_from(frozenset({"court", "assessment"}), D_ASPIRE),
    "proceedings_concluded": _d_proceedings_concluded,
    "court_report_completed": _d_court_report_completed,
    "viability_assessment_concluded": _d_viability_assessment_concluded,
    "adm_decision_made": _d_adm_decision_made,
    "ceases_looked_after": _d_ceases_looked_after,
    "age_reached": _d_age_reached,
    "child_protection_concerns": _only_from(frozenset({"private_fostering"}), D_ASSESSMENT_OR_CIN_CP),
    "moves_to_another_authority": _only_from(
        frozenset(
            {"assessment", "cin_cp", "court", "lac", "chad", "private_fostering", "separated_children"}
        ),
        D_OTHER_AUTHORITY,
    ),
}


def dorset_by_hand(f: Mapping[str, Any]) -> Key:
    return _DORSET[f["event"]](f)


# ---------------------------------------------------------------------------------------------------------
# Central Bedfordshire (2021), written by hand from src/handover/protocols/central-bedfordshire.yaml.

C_LEAVING_CARE = _to("leaving_care")
C_FAMILY_SUPPORT = _to("family_support")
C_ASSESSMENT = _to("assessment")
C_EARLY_HELP = _to("early_help")
C_FOSTERING = _to("fostering")
C_COURT = _to("court")
C_ASSESSMENT_OR_CWD = _choose("assessment", "cwd")
C_ASSESSMENT_OR_FAMILY_SUPPORT = _choose("assessment", "family_support")
C_FAMILY_SUPPORT_OR_CWD = _choose("family_support", "cwd")
C_FAMILY_SUPPORT_OR_COURT = _choose("family_support", "court")
C_COURT_OR_LEAVING_CARE = _choose("court", "leaving_care")


def _c_referral(f: Mapping[str, Any]) -> Key:
    # Order: unaccompanied > re-referral closed to Family Support > private fostering > re-referral closed
    # to Early Help > disabled child > assessment > early help (each overrides those after it it could clash
    # with; the two re-referrals are exclusive on the last service).
    g = f.get
    tf = g("transfer.from")
    if tf != "hub" and tf is not None:
        return NO_RULE
    asylum = g("child.asylum_status")
    if asylum is None:
        return UNDETERMINED
    if asylum == "unaccompanied_seeking_asylum":
        return C_LEAVING_CARE if tf else UNDETERMINED
    last = g("history.last_service")
    # Both re-referral rules need: previously known, closed (not open), closed within 3 months.
    recent: bool | None = False
    if last is None or last == "family_support" or last == "early_help":
        known = g("history.previously_known")
        is_open = g("history.open")
        if known is not False and is_open is not True:
            closed = g("history.closed_on")
            if closed is None:
                recent = None
            else:
                on = f["event.date"]
                if _months_back(on, 3) <= closed <= on:
                    recent = True if (known and is_open is False) else None
    if recent is not False and last != "early_help":
        return _previous(g) if (tf and recent and last) else UNDETERMINED
    fostering = g("private_fostering_arrangement")
    if fostering is not False:
        return C_FAMILY_SUPPORT if (tf and fostering) else UNDETERMINED
    hub = g("hub_outcome")
    if recent is not False and (hub is None or hub == "assessment"):  # last is early_help here
        return C_ASSESSMENT_OR_FAMILY_SUPPORT if (tf and recent and hub) else UNDETERMINED
    if hub is None:
        return UNDETERMINED
    if hub == "assessment":
        disabled = g("child.disability")
        if disabled is not False:
            return C_ASSESSMENT_OR_CWD if (tf and disabled) else UNDETERMINED
        return C_ASSESSMENT if tf else UNDETERMINED
    if hub == "early_help":
        return C_EARLY_HELP if tf else UNDETERMINED
    return NO_RULE


def _c_history(f: Mapping[str, Any]) -> tuple[Any, Any, bool | None, bool | None]:
    """(open, previously known, 'open or closed under 12 weeks', 'closed 12 weeks or more or not known')."""
    g = f.get
    is_open = g("history.open")
    known = g("history.previously_known")
    closed = g("history.closed_on")
    if closed is None:
        within = None
    else:
        on = f["event.date"]
        within = on - _83_DAYS <= closed <= on
    if is_open is True or within is True:
        recent = True
    else:
        recent = None if (is_open is None or within is None) else False
    if known is False or within is False:  # not known before, or closed 12 weeks or more ago
        stale: bool | None = True
    elif known is None or within is None:
        stale = None
    else:
        stale = False
    return is_open, known, recent, stale


def _c_court_report_request(f: Mapping[str, Any]) -> Key:
    # section7_request / section37_request. No overrides: the four rules are exclusive (the first two share
    # a pathway), so a True rule decides and otherwise any unknown rule leaves the decision undetermined.
    g = f.get
    tf = g("transfer.from")
    if tf != "hub" and tf is not None:
        return NO_RULE
    is_open, known, recent, stale = _c_history(f)
    current = g("history.current_service")
    last = g("history.last_service")
    disabled = g("child.disability")
    # allocated in family support: open and held by family support
    r1 = (
        False
        if is_open is False or (current is not None and current != "family_support")
        else (True if is_open and current else None)
    )
    # open or recently closed: previously known, last service not the hub, open or closed under 12 weeks
    r2 = (
        False
        if known is False or last == "hub" or recent is False
        else (True if known and last and recent else None)
    )
    # closed or not known: not open, and not previously known or closed 12 weeks or more; disabled or not
    base = False if is_open is True or stale is False else (True if is_open is False and stale else None)
    r3 = False if base is False or disabled is True else (True if base and disabled is False else None)
    r4 = False if base is False or disabled is False else (True if base and disabled else None)
    if tf:
        if r1 or r2:
            return _previous(g)
        if r3:
            return C_ASSESSMENT
        if r4:
            return C_ASSESSMENT_OR_CWD
    if r1 is False and r2 is False and r3 is False and r4 is False:
        return NO_RULE
    return UNDETERMINED


def _c_sgo_assessment_request(f: Mapping[str, Any]) -> Key:
    # Not known or closed 12 weeks or more (with the Assessment Team) / allocated or open under 12 weeks
    # (report only): different pathways to Fostering, exclusive.
    tf = f.get("transfer.from")
    if tf != "hub" and tf is not None:
        return NO_RULE
    is_open, known, recent, stale = _c_history(f)
    r1 = False if is_open is True or stale is False else (True if is_open is False and stale else None)
    r2 = False if known is False or recent is False else (True if known and recent else None)
    if tf and (r1 or r2):
        return C_FOSTERING
    return NO_RULE if r1 is False and r2 is False else UNDETERMINED


def _c_cin_transfer_in_request(f: Mapping[str, Any]) -> Key:
    g = f.get
    tf = g("transfer.from")
    if tf != "hub" and tf is not None:
        return NO_RULE
    hub = g("hub_outcome")
    if hub == "assessment":
        return C_ASSESSMENT if tf else UNDETERMINED
    if hub == "early_help":
        return C_EARLY_HELP if tf else UNDETERMINED
    return UNDETERMINED if hub is None else NO_RULE


def _c_cin_meeting_held(f: Mapping[str, Any]) -> Key:
    # From Assessment: CIN plan, by disability. From Court / Leaving Care: supervision order or CIN plan
    # (one pathway). The two groups are exclusive on the sending service.
    g = f.get
    tf = g("transfer.from")
    plan = g("child.plan")
    if tf == "assessment":
        if plan != "cin":
            return UNDETERMINED if plan is None else NO_RULE
        disabled = g("child.disability")
        if disabled is None:
            return UNDETERMINED
        return C_FAMILY_SUPPORT_OR_CWD if disabled else C_FAMILY_SUPPORT
    if tf == "court" or tf == "leaving_care":
        status = g("child.legal_status")
        if status == "supervision_order" or plan == "cin":
            return C_FAMILY_SUPPORT
        return UNDETERMINED if status is None or plan is None else NO_RULE
    if tf is None:  # nothing can fire; undetermined if any rule's condition could still hold
        if plan is None or plan == "cin":
            return UNDETERMINED
        status = g("child.legal_status")
        return UNDETERMINED if status is None or status == "supervision_order" else NO_RULE
    return NO_RULE


def _c_icpc_held(f: Mapping[str, Any]) -> Key:
    g = f.get
    tf = g("transfer.from")
    if tf != "assessment" and tf is not None:
        return NO_RULE
    plan = g("child.plan")
    if plan is not None and plan != "cp":
        return NO_RULE
    disabled = g("child.disability")
    if tf and plan and disabled is not None:
        return C_FAMILY_SUPPORT_OR_CWD if disabled else C_FAMILY_SUPPORT
    return UNDETERMINED


def _c_pre_birth_assessment_concluded(f: Mapping[str, Any]) -> Key:
    # C-054 reads "and": proceedings at birth recommended and siblings in (or within 12 months of) proceedings
    # overrides the joint consideration for ongoing social work.
    g = f.get
    tf = g("transfer.from")
    if tf is not None and tf != "assessment" and tf != "family_support":
        return NO_RULE
    at_birth = g("proceedings_at_birth_recommended")
    siblings = g("siblings.in_care_proceedings")
    # "Proceedings ended within 12 months" is false without a date: the records system gives the date
    # whenever a sibling's proceedings ended (the rule tests that the date is present).
    ended = g("siblings.care_proceedings_ended_on")
    on = f["event.date"]
    recent: bool | None
    if siblings is True or (ended is not None and _months_back(on, 12) <= ended <= on):
        recent = True
    else:
        recent = None if siblings is None else False
    if at_birth is False or recent is False:
        court: bool | None = False
    elif at_birth is True and recent is True:
        court = True
    else:
        court = None
    if court is not False:
        return C_COURT if (tf and court) else UNDETERMINED
    if tf is not None and tf != "assessment":
        return NO_RULE
    ongoing = g("ongoing_social_work_indicated")
    if ongoing is False:
        return NO_RULE
    return C_FAMILY_SUPPORT_OR_COURT if (tf and ongoing) else UNDETERMINED


def _c_reunification_unlikely_agreed(f: Mapping[str, Any]) -> Key:
    g = f.get
    tf = g("transfer.from")
    if tf is not None and tf != "assessment" and tf != "family_support":
        return NO_RULE
    status = g("child.legal_status")
    if status == "s20":
        return C_COURT_OR_LEAVING_CARE if tf else UNDETERMINED
    return UNDETERMINED if status is None else NO_RULE


def _c_private_fostering_assessment_completed(f: Mapping[str, Any]) -> Key:
    g = f.get
    tf = g("transfer.from")
    if tf != "family_support" and tf is not None:
        return NO_RULE
    fostering = g("private_fostering_arrangement")
    if fostering is False:
        return NO_RULE
    return C_FOSTERING if (tf and fostering) else UNDETERMINED


def _no_rule(f: Mapping[str, Any]) -> Key:
    return NO_RULE


_CENTRAL_BEDFORDSHIRE: dict[str, Callable[[Mapping[str, Any]], Key]] = {
    "referral": _c_referral,
    "section7_request": _c_court_report_request,
    "section37_request": _c_court_report_request,
    "sgo_assessment_request": _c_sgo_assessment_request,
    "cin_transfer_in_request": _c_cin_transfer_in_request,
    "cp_transfer_in_request": _only_from(frozenset({"hub"}), C_FAMILY_SUPPORT),
    "cin_meeting_held": _c_cin_meeting_held,
    "icpc_held": _c_icpc_held,
    "pre_birth_assessment_concluded": _c_pre_birth_assessment_concluded,
    "care_proceedings_issued": _only_from(frozenset({"assessment", "family_support"}), C_COURT),
    "reunification_unlikely_agreed": _c_reunification_unlikely_agreed,
    "private_fostering_assessment_completed": _c_private_fostering_assessment_completed,
}


def central_bedfordshire_by_hand(f: Mapping[str, Any]) -> Key:
    return _CENTRAL_BEDFORDSHIRE[f["event"]](f)


# ---------------------------------------------------------------------------------------------------------
# Synthetic situations.

FIRST_DAY = date(2023, 1, 1).toordinal()
LAST_DAY = date(2026, 12, 31).toordinal()

LEGAL_STATUSES = (
    ("none", 60),
    ("s20", 10),
    ("interim_care_order", 6),
    ("care_order", 10),
    ("placement_order", 2),
    ("supervision_order", 4),
    ("special_guardianship_order", 2),
    ("child_arrangements_order", 4),
    ("police_protection", 1),
    ("remand", 1),
)
PLANS = (("none", 30), ("early_help", 10), ("cin", 25), ("cp", 15), ("cla", 15), ("care_leaver", 5))
ASYLUM = (
    ("none", 92),
    ("unaccompanied_seeking_asylum", 4),
    ("leave_to_remain", 2),
    ("appeal_rights_exhausted", 1),
    ("fresh_claim", 1),
)


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


class Maker:
    """Builds one authority's situations: shared pieces (child, history, dates) for the per-event builders."""

    def __init__(self, rng: random.Random, localities: tuple[str, ...]):
        self.rng = rng
        self.localities = localities

    def event_date(self) -> date:
        return date.fromordinal(self.rng.randint(FIRST_DAY, LAST_DAY))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def child(self, on: date, *, years: tuple[int, int] = (0, 17), **fixed: Any) -> dict[str, Any]:
        rng = self.rng
        born = on - timedelta(days=rng.randint(years[0] * 365, years[1] * 365 + 364))
        child = {
            "birth_date": born.isoformat(),
            "disability": self.chance(0.12),
            "legal_status": _pick(rng, LEGAL_STATUSES),
            "plan": _pick(rng, PLANS),
            "asylum_status": _pick(rng, ASYLUM),
            "locality": rng.choice(self.localities),
        }
        child.update(fixed)
        return child

    def unborn_child(self, on: date) -> dict[str, Any]:
        due = on + timedelta(days=self.rng.randint(7, 200))
        return {
            "expected_birth_date": due.isoformat(),
            "disability": False,
            "legal_status": "none",
            "plan": _pick(self.rng, (("none", 40), ("cin", 30), ("cp", 30))),
            "asylum_status": "none",
            "locality": self.rng.choice(self.localities),
        }

    def born_near(self, on: date, months: int) -> str:
        """A date of birth within a few days of reaching `months` of age on `on` (either side, or exactly)."""
        return (_months_back(on, months) + timedelta(days=self.rng.randint(-3, 3))).isoformat()

    def date_around(self, on: date, cutoff: date) -> str:
        """A past date inside the window [cutoff, on], on its edge, or outside it."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            day = date.fromordinal(rng.randint(cutoff.toordinal(), on.toordinal()))
        elif roll < 0.6:
            day = cutoff + timedelta(days=rng.choice((-1, 0, 1)))
        else:
            day = cutoff - timedelta(days=rng.randint(2, 1500))
        return day.isoformat()

    def history(
        self, on: date, cutoff: date, services: tuple[str, ...], weights: tuple[float, float, float]
    ) -> dict[str, Any]:
        """Not known before / open (current service) / closed (last service and closure date)."""
        state = self.rng.choices(("not_known", "open", "closed"), weights)[0]
        if state == "not_known":
            return {"previously_known": False}
        service = self.rng.choice(services)
        if state == "open":
            return {"current_service": service}
        return {"last_service": service, "closed_on": self.date_around(on, cutoff)}

    def held_by(self, usual: tuple[str, ...], others: tuple[str, ...], p_usual: float) -> dict[str, Any]:
        """History of a case open in a service (the sender of the event's transfer)."""
        pool = usual if self.chance(p_usual) else others
        return {"current_service": self.rng.choice(pool)}


Builder = Callable[[Maker, date], dict[str, Any]]


# Dorset situations -----------------------------------------------------------------------------------------

D_SERVICES = (
    "mash",
    "early_help",
    "assessment",
    "cin_cp",
    "court",
    "lac",
    "leaving_care",
    "chad",
    "private_fostering",
    "separated_children",
    "aspire",
    "other_authority",
)
# Dorset's Early Help is not social care history (`case_history: false`, D-083/D-087): never a last service.
D_HELD = ("assessment", "cin_cp", "lac", "court", "chad", "private_fostering")


def _d_make_referral(m: Maker, on: date) -> dict[str, Any]:
    unborn = m.chance(0.05)
    child = m.unborn_child(on) if unborn else m.child(on)
    if child["asylum_status"] == "unaccompanied_seeking_asylum":
        child["birth_date"] = m.born_near(on, AGE_18Y) if m.chance(0.5) else child["birth_date"]
    facts = {
        "mash_decision": _pick(m.rng, (("assessment", 45), ("early_help", 35), ("contact_only", 20))),
        "private_fostering_arrangement": m.chance(0.03),
        "s47_required": m.chance(0.2),
    }
    if child["disability"] or m.chance(0.3):
        facts["chad_eligible"] = m.chance(0.6)
    situation = {
        "child": child,
        "history": m.history(on, _months_back(on, 3), D_HELD, (35, 20, 45)),
        "facts": facts,
    }
    if unborn:  # D-095: the Assessment Team's, if the mother is looked after
        situation["mother"] = {"looked_after": m.chance(0.4)}
    return situation


def _d_make_court_report_request(m: Maker, on: date) -> dict[str, Any]:
    return {
        "child": m.child(on),
        "history": m.history(on, _months_back(on, 3), (*D_HELD, "mash"), (30, 35, 35)),
    }


def _d_make_mash_event(m: Maker, on: date) -> dict[str, Any]:
    # out_of_area_court_request, transfer_in_request, sgo_enquiry: unconditional, but a realistic record
    situation: dict[str, Any] = {"child": m.child(on, plan=_pick(m.rng, (("cin", 50), ("cp", 50))))}
    if m.chance(0.5):
        situation["history"] = m.history(on, _months_back(on, 3), D_HELD, (60, 10, 30))
    return situation


def _d_make_assessment_concluded(m: Maker, on: date) -> dict[str, Any]:
    unborn = m.chance(0.08)
    child = m.unborn_child(on) if unborn else m.child(on)
    facts = {
        "assessment_outcome": _pick(
            m.rng, (("cin_plan", 50), ("step_down_early_help", 30), ("no_intervention", 20))
        ),
        "nrpf": m.chance(0.05),
    }
    if child["disability"] or m.chance(0.3):
        facts["chad_eligible"] = m.chance(0.6)
    situation = {
        "child": child,
        "history": m.held_by(("assessment",), ("cin_cp", "private_fostering", "court"), 0.88),
        "facts": facts,
    }
    if unborn or m.chance(0.2):
        situation["siblings"] = {"in_care_proceedings": m.chance(0.4)}
    return situation


def _d_make_icpc_held(m: Maker, on: date) -> dict[str, Any]:
    return {
        "child": m.child(on, plan=_pick(m.rng, (("cp", 75), ("cin", 20), ("none", 5)))),
        "history": m.held_by(("assessment",), ("cin_cp",), 0.92),
    }


def _d_make_becomes_looked_after(m: Maker, on: date) -> dict[str, Any]:
    status = _pick(m.rng, (("s20", 60), ("interim_care_order", 25), ("police_protection", 15)))
    return {
        "child": m.child(on, legal_status=status, plan="cla"),
        "history": m.held_by(("assessment", "cin_cp"), ("lac", "court"), 0.95),
    }


def _d_make_lgp_decision(m: Maker, on: date) -> dict[str, Any]:
    outcome = _pick(m.rng, (("initiate_plo", 45), ("looked_after_without_plo", 35), ("no_legal_action", 20)))
    return {
        "child": m.child(on),
        "history": m.held_by(("assessment", "cin_cp", "lac"), ("court", "chad"), 0.93),
        "facts": {"lgp_outcome": outcome},
    }


def _d_make_court_event(m: Maker, on: date) -> dict[str, Any]:
    # care_order_made, placement_order_made
    return {
        "child": m.child(on, legal_status=_pick(m.rng, (("care_order", 70), ("placement_order", 30)))),
        "history": m.held_by(("court",), ("lac", "cin_cp"), 0.93),
    }


def _d_make_cafcass_consent(m: Maker, on: date) -> dict[str, Any]:
    return {
        "child": m.child(on, years=(0, 0), legal_status="none", plan="cla"),
        "history": m.held_by(("court", "assessment"), ("cin_cp",), 0.93),
    }


def _d_make_proceedings_concluded(m: Maker, on: date) -> dict[str, Any]:
    status = _pick(
        m.rng,
        (
            ("none", 30),
            ("supervision_order", 30),
            ("child_arrangements_order", 20),
            ("special_guardianship_order", 20),
        ),
    )
    plan = _pick(m.rng, (("cin", 40), ("cp", 30), ("none", 20), ("cla", 10)))
    return {
        "child": m.child(on, legal_status=status, plan=plan),
        "history": m.held_by(("court",), ("lac",), 0.93),
    }


def _d_make_court_report_completed(m: Maker, on: date) -> dict[str, Any]:
    return {
        "child": m.child(on),
        "history": m.held_by(("court",), ("assessment",), 0.93),
        "facts": {"ongoing_need_identified": m.chance(0.5)},
    }


def _d_make_viability(m: Maker, on: date) -> dict[str, Any]:
    viability = _pick(m.rng, (("positive", 40), ("negative", 60)))
    facts: dict[str, Any] = {"viability_assessment": viability}
    if viability == "negative" or m.chance(0.3):
        facts["sgo_assessment_court_ordered"] = m.chance(0.4)
    return {
        "child": m.child(on),
        "history": m.held_by(("court", "cin_cp", "lac"), ("assessment",), 0.93),
        "facts": facts,
    }


def _d_make_adm_decision(m: Maker, on: date) -> dict[str, Any]:
    return {
        "child": m.child(on, years=(0, 6)),
        "history": m.held_by(("court", "lac"), ("cin_cp",), 0.93),
        "facts": {"adm_decision": _pick(m.rng, (("adoption_agreed", 80), ("adoption_not_agreed", 20)))},
    }


def _d_make_ceases_looked_after(m: Maker, on: date) -> dict[str, Any]:
    status = _pick(m.rng, (("none", 45), ("supervision_order", 35), ("child_arrangements_order", 20)))
    plan = _pick(m.rng, (("cin", 35), ("cp", 25), ("none", 30), ("care_leaver", 10)))
    return {
        "child": m.child(on, legal_status=status, plan=plan),
        "history": m.held_by(("lac",), ("court", "cin_cp"), 0.93),
        "facts": {"plan_exceeds_3_months": m.chance(0.6)},
    }


def _d_make_age_reached(m: Maker, on: date) -> dict[str, Any]:
    separated = m.chance(0.25)
    child = m.child(on, plan="cla" if m.chance(0.9) else "care_leaver")
    roll = m.rng.random()
    if roll < 0.4:
        child["birth_date"] = m.born_near(on, AGE_15Y8M)
    elif roll < 0.8:
        child["birth_date"] = m.born_near(on, AGE_18Y)
    else:
        child["birth_date"] = (on - timedelta(days=m.rng.randint(14 * 365, 19 * 365))).isoformat()
    if separated:
        child["asylum_status"] = _pick(m.rng, (("leave_to_remain", 60), ("appeal_rights_exhausted", 40)))
        history = m.held_by(("separated_children",), ("lac",), 0.95)
    else:
        history = m.held_by(("lac",), ("cin_cp", "court"), 0.93)
    return {"child": child, "history": history}


def _d_make_child_protection_concerns(m: Maker, on: date) -> dict[str, Any]:
    return {
        "child": m.child(on),
        "history": m.held_by(("private_fostering",), ("assessment",), 0.93),
        "facts": {"assessment_route": _pick(m.rng, (("s47", 50), ("s17", 50)))},
    }


def _d_make_moves(m: Maker, on: date) -> dict[str, Any]:
    return {
        "child": m.child(on),
        "history": m.held_by((*D_HELD[:5], "private_fostering", "separated_children"), ("mash",), 0.95),
    }


DORSET_EVENTS: dict[str, tuple[float, Builder]] = {
    "referral": (30, _d_make_referral),
    "section7_request": (3, _d_make_court_report_request),
    "section37_request": (2, _d_make_court_report_request),
    "out_of_area_court_request": (1, _d_make_mash_event),
    "transfer_in_request": (2, _d_make_mash_event),
    "sgo_enquiry": (1, _d_make_mash_event),
    "assessment_concluded": (12, _d_make_assessment_concluded),
    "icpc_held": (6, _d_make_icpc_held),
    "becomes_looked_after": (4, _d_make_becomes_looked_after),
    "lgp_decision": (4, _d_make_lgp_decision),
    "care_order_made": (2, _d_make_court_event),
    "placement_order_made": (1, _d_make_court_event),
    "cafcass_consent_obtained": (0.5, _d_make_cafcass_consent),
    "proceedings_concluded": (2, _d_make_proceedings_concluded),
    "court_report_completed": (2, _d_make_court_report_completed),
    "viability_assessment_concluded": (2, _d_make_viability),
    "adm_decision_made": (1, _d_make_adm_decision),
    "ceases_looked_after": (3, _d_make_ceases_looked_after),
    "age_reached": (4, _d_make_age_reached),
    "child_protection_concerns": (1, _d_make_child_protection_concerns),
    "moves_to_another_authority": (3, _d_make_moves),
}


# Central Bedfordshire situations ---------------------------------------------------------------------------

C_HELD = ("family_support", "early_help", "assessment", "cwd", "court", "leaving_care", "fostering")


def _c_make_referral(m: Maker, on: date) -> dict[str, Any]:
    return {
        "child": m.child(on),
        "history": m.history(on, _months_back(on, 3), C_HELD, (35, 20, 45)),
        "facts": {
            "hub_outcome": _pick(m.rng, (("assessment", 45), ("early_help", 35), ("no_further_action", 20))),
            "private_fostering_arrangement": m.chance(0.03),
        },
    }


def _c_make_court_report_request(m: Maker, on: date) -> dict[str, Any]:
    return {"child": m.child(on), "history": m.history(on, on - _83_DAYS, (*C_HELD, "hub"), (30, 35, 35))}


def _c_make_sgo_request(m: Maker, on: date) -> dict[str, Any]:
    return {"child": m.child(on), "history": m.history(on, on - _83_DAYS, C_HELD, (30, 30, 40))}


def _c_make_cin_transfer_in(m: Maker, on: date) -> dict[str, Any]:
    return {
        "child": m.child(on, plan="cin"),
        "facts": {
            "hub_outcome": _pick(m.rng, (("assessment", 50), ("early_help", 40), ("no_further_action", 10)))
        },
    }


def _c_make_cp_transfer_in(m: Maker, on: date) -> dict[str, Any]:
    return {"child": m.child(on, plan="cp")}


def _c_make_cin_meeting(m: Maker, on: date) -> dict[str, Any]:
    history = m.held_by(
        ("assessment", "assessment", "assessment", "court", "leaving_care"), ("family_support",), 0.95
    )
    child = m.child(on, plan=_pick(m.rng, (("cin", 70), ("cp", 10), ("cla", 10), ("none", 10))))
    if history["current_service"] != "assessment" and m.chance(0.3):
        child["legal_status"] = "supervision_order"
    return {"child": child, "history": history}


def _c_make_icpc(m: Maker, on: date) -> dict[str, Any]:
    return {
        "child": m.child(on, plan=_pick(m.rng, (("cp", 80), ("cin", 15), ("none", 5)))),
        "history": m.held_by(("assessment",), ("family_support",), 0.92),
    }


def _c_make_pre_birth(m: Maker, on: date) -> dict[str, Any]:
    facts = {
        "ongoing_social_work_indicated": m.chance(0.5),
        "proceedings_at_birth_recommended": m.chance(0.15),
    }
    # Siblings' proceedings that ended (recently or long ago) give a date; most families have none.
    siblings: dict[str, Any] = {"in_care_proceedings": m.chance(0.15)}
    if m.chance(0.4):
        siblings["care_proceedings_ended_on"] = m.date_around(on, _months_back(on, 12))
    return {
        "child": m.unborn_child(on),
        "history": m.held_by(("assessment", "assessment", "family_support"), ("court",), 0.93),
        "siblings": siblings,
        "facts": facts,
    }


def _c_make_care_proceedings(m: Maker, on: date) -> dict[str, Any]:
    hearing = on + timedelta(days=m.rng.randint(1, 10))
    return {
        "child": m.child(on, legal_status="interim_care_order"),
        "history": m.held_by(("assessment", "family_support"), ("court",), 0.95),
        "facts": {
            "first_ico_hearing_date": hearing.isoformat(),
            "case_management_hearing_date": (hearing + timedelta(days=m.rng.randint(7, 20))).isoformat(),
        },
    }


def _c_make_reunification(m: Maker, on: date) -> dict[str, Any]:
    status = _pick(m.rng, (("s20", 80), ("interim_care_order", 10), ("care_order", 10)))
    return {
        "child": m.child(on, legal_status=status, plan="cla"),
        "history": m.held_by(("assessment", "family_support"), ("court",), 0.95),
    }


def _c_make_private_fostering_assessment(m: Maker, on: date) -> dict[str, Any]:
    notified = on - timedelta(days=m.rng.randint(20, 200))
    return {
        "child": m.child(on),
        "history": m.held_by(("family_support",), ("assessment",), 0.93),
        "facts": {
            "private_fostering_arrangement": m.chance(0.85),
            "private_fostering_began_on": notified.isoformat(),
        },
    }


CENTRAL_BEDFORDSHIRE_EVENTS: dict[str, tuple[float, Builder]] = {
    "referral": (35, _c_make_referral),
    "section7_request": (3, _c_make_court_report_request),
    "section37_request": (2, _c_make_court_report_request),
    "sgo_assessment_request": (3, _c_make_sgo_request),
    "cin_transfer_in_request": (3, _c_make_cin_transfer_in),
    "cp_transfer_in_request": (2, _c_make_cp_transfer_in),
    "cin_meeting_held": (15, _c_make_cin_meeting),
    "icpc_held": (8, _c_make_icpc),
    "pre_birth_assessment_concluded": (4, _c_make_pre_birth),
    "care_proceedings_issued": (4, _c_make_care_proceedings),
    "reunification_unlikely_agreed": (2, _c_make_reunification),
    "private_fostering_assessment_completed": (1, _c_make_private_fostering_assessment),
}


# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bench:
    name: str  # bundled protocol name
    localities: tuple[str, ...]
    events: dict[str, tuple[float, Builder]]
    by_hand: Callable[[Mapping[str, Any]], Key]


BENCHES = (
    Bench("dorset", ("east", "west"), DORSET_EVENTS, dorset_by_hand),
    Bench(
        "central-bedfordshire",
        ("north", "south", "east"),
        CENTRAL_BEDFORDSHIRE_EVENTS,
        central_bedfordshire_by_hand,
    ),
)


def generate(bench: Bench, n: int, seed: int, missing: float) -> tuple[list[dict[str, Any]], set[int]]:
    """N situations; a fraction `missing` has one given fact removed. Returns them and which ones lost one."""
    rng = random.Random(f"{seed}:{bench.name}")
    maker = Maker(rng, bench.localities)
    names = list(bench.events)
    weights = [bench.events[e][0] for e in names]
    situations = []
    removed: set[int] = set()
    for i, event in enumerate(rng.choices(names, weights, k=n)):
        on = maker.event_date()
        situation = {"event": event, "date": on.isoformat(), **bench.events[event][1](maker, on)}
        if rng.random() < missing:
            given = [(s, k) for s in ("child", "history", "siblings", "facts") for k in situation.get(s, {})]
            if given:
                section, key = rng.choice(given)
                del situation[section][key]
                removed.add(i)
        situations.append(situation)
    return situations, removed


def rules_fingerprint(protocol: Protocol) -> str:
    """What the hand-written table depends on: events (and where they arrive), pathways' ends, the rules."""
    spec = protocol.file
    content = {
        "events": sorted((e.id, e.arrives_at) for e in spec.events),
        "pathways": sorted(
            (
                p.id,
                p.from_,
                p.to.model_dump(mode="json", include={"service", "previous_service", "choose_from"}),
            )
            for p in spec.pathways
        ),
        "rules": [(r.id, r.event, r.when, r.pathway, r.overrides) for r in spec.rules],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:12]


def timed(run: Callable[[], None], repeat: int) -> list[float]:
    times = []
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    finally:
        if gc_was_on:
            gc.enable()
    return times


def run_engine(protocol: Protocol, facts: list[dict[str, Any]]) -> None:
    for f in facts:
        route(protocol, f)


def run_by_hand(by_hand: Callable[[Mapping[str, Any]], Key], facts: list[dict[str, Any]]) -> None:
    for f in facts:
        by_hand(f)


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f}/s"


def bench_protocol(bench: Bench, args: argparse.Namespace) -> bool:
    """Run one protocol's benchmark and print it. False on a disagreement or a refused situation."""
    try:
        protocol = load_protocol(bench.name)
    except Exception as exc:  # a file being edited can fail in any way; skip it and say why
        print(f"{bench.name}: SKIPPED, the protocol file does not load:\n  {str(exc)[:2000]}\n")
        return True
    fingerprint = rules_fingerprint(protocol)
    print(f"{bench.name} (protocol {protocol.version}, rules fingerprint {fingerprint})")
    if fingerprint != HAND_WRITTEN_FOR[bench.name]:
        print(
            f"  NOTE: the rules changed since the hand-written table was written (for {HAND_WRITTEN_FOR[bench.name]});"
            " disagreements below may just mean it needs updating."
        )
    unknown = sorted(set(protocol.events) - set(bench.events))
    if unknown:
        print(f"  NOTE: events not generated (new in the protocol file): {', '.join(unknown)}")

    t0 = time.perf_counter()
    situations, removed = generate(bench, args.n, args.seed, args.missing)
    t1 = time.perf_counter()
    facts = []
    for i, situation in enumerate(situations):
        try:
            facts.append(situation_facts(protocol, situation))
        except HandoverError as exc:
            print(f"  FAIL: generated situation {i} is refused: {exc}\n  {situation}")
            return False
    t2 = time.perf_counter()
    n = len(facts)
    print(
        f"  {n:,} situations ({len(removed):,} with one given fact removed) over {len(bench.events)} events: "
        f"generated in {t1 - t0:.1f} s, converted by situation_facts in {t2 - t1:.1f} s (not timed)"
    )

    engine_times = timed(lambda: run_engine(protocol, facts), args.repeat)
    hand_times = timed(lambda: run_by_hand(bench.by_hand, facts), args.repeat)
    engine_rate = n / statistics.median(engine_times)
    hand_rate = n / statistics.median(hand_times)
    ratio = hand_rate / engine_rate

    engine_keys = [engine_key(route(protocol, f)) for f in facts]
    hand_keys = [bench.by_hand(f) for f in facts]
    differences = [i for i in range(n) if engine_keys[i] != hand_keys[i]]
    outcomes = Counter(k[0] for k in engine_keys)
    undetermined_complete = sum(
        1 for i, k in enumerate(engine_keys) if k[0] == "undetermined" and i not in removed
    )
    undetermined_removed = sum(1 for i in removed if engine_keys[i][0] == "undetermined")

    shown = ", ".join(f"{o} {outcomes[o]:,}" for o in ("route", "decide", "no_rule", "undetermined"))
    print(f"  engine outcomes: {shown}")
    print(f"  of the {len(removed):,} with a fact removed, {undetermined_removed:,} are undetermined")
    if undetermined_complete:
        print(f"  NOTE: {undetermined_complete:,} complete situations were undetermined (generator gap)")
    runs = " ".join(f"{n / t / 1000:.0f}k" for t in engine_times)
    print(f"  engine       {_rate(n, n / engine_rate)}  median of {args.repeat} (runs: {runs})")
    runs = " ".join(f"{n / t / 1000:.0f}k" for t in hand_times)
    print(f"  hand-written {_rate(n, n / hand_rate)}  median of {args.repeat} (runs: {runs})")
    print(f"  ratio hand/engine {ratio:.2f}")
    goal_speed = "met" if engine_rate >= ENGINE_GOAL else "MISSED"
    goal_ratio = "met" if ratio <= RATIO_GOAL else "MISSED"
    print(
        f"  goals: engine >= {ENGINE_GOAL:,}/s: {goal_speed} ({engine_rate:,.0f}); "
        f"ratio <= {RATIO_GOAL}: {goal_ratio} ({ratio:.2f})"
    )
    print(f"  agreement: {n - len(differences):,} / {n:,}")
    for i in differences[:5]:
        print(f"    situation {i}: engine {engine_keys[i]} != by hand {hand_keys[i]}")
        print(f"      {situations[i]}")
    if args.profile:
        print_profile(protocol, facts)
    print()
    return not differences


def print_profile(protocol: Protocol, facts: list[dict[str, Any]]) -> None:
    """cProfile of one engine pass (the profiler's per-call overhead inflates small functions)."""
    profiler = cProfile.Profile()
    profiler.runcall(run_engine, protocol, facts)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("  cProfile of one engine pass, by own time:")
    for line in lines[start:]:
        print(
            "    " + line.replace(str(Path(__file__).resolve().parent.parent / "src" / "handover") + "/", "")
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="situations per protocol (default 100000)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs; the median is reported (default 5)"
    )
    parser.add_argument(
        "--missing", type=float, default=0.02, help="fraction with one given fact removed (default 0.02)"
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one engine pass")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, N={args.n:,}, repeat={args.repeat}, seed={args.seed}\n")
    ok = True
    for bench in BENCHES:
        ok = bench_protocol(bench, args) and ok
    if not ok:
        print("DISAGREEMENT: the engine and the hand-written decision table differ (see above).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
