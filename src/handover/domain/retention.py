"""When a closed child's record reaches the end of its retention period, under the authority's policy (the
protocol file's `retention`): the day from which it is listed for review and may be erased (docs/privacy.md).

A record of a child who was ever looked after is kept until a later birthday than any other (the usual local
authority policy: the 75th, against the 25th); a record opened before birth and closed with no date of birth is
kept a number of years from its closure. Never before the record closed: an open record has no end. No Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from handover.domain.protocol.schema import Retention


@dataclass(frozen=True)
class RetentionFacts:
    """What the policy reads off a child's record."""

    date_of_birth: dt.date | None
    expected_date_of_birth: dt.date | None
    closed_on: dt.date | None
    looked_after: bool  # ever looked after: any legal status episode on the record


@dataclass(frozen=True)
class RetentionEnd:
    on: dt.date  # the first day the record may be erased
    because: str  # the rule that set it, in words


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def retention_end(facts: RetentionFacts, policy: Retention) -> RetentionEnd | None:
    """The day a closed record's retention ends (the record may be erased from that day on), or None while the
    record is open. A birthday on 29 February falls on 28 February in other years."""
    if facts.closed_on is None:
        return None
    if facts.date_of_birth is None:
        years = policy.unborn_years_after_closure
        return RetentionEnd(
            facts.closed_on + relativedelta(years=years),
            f"{years} years after the record closed: it was opened before the child's birth and closed with no "
            "date of birth",
        )
    if facts.looked_after:
        age, kind = policy.looked_after_until_age, "a child who was looked after"
    else:
        age, kind = policy.other_until_age, "a child who was never looked after"
    birthday = facts.date_of_birth + relativedelta(years=age)
    if birthday <= facts.closed_on:  # closed after that birthday: kept at least until the day after closing
        return RetentionEnd(
            facts.closed_on + dt.timedelta(days=1),
            f"the record closed after the child's {ordinal(age)} birthday, the end of retention for {kind}",
        )
    return RetentionEnd(birthday, f"the child's {ordinal(age)} birthday: the end of retention for {kind}")


def due_for_review(facts: RetentionFacts, policy: Retention, today: dt.date) -> bool:
    end = retention_end(facts, policy)
    return end is not None and end.on <= today
