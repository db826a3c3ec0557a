"""The states of a follow-up and which changes are allowed, by whom: the rules in one place.

suggested -> proposed (to the organisation) -> informed -> interested / not interested -> bid
submitted -> won / lost / withdrawn. An ILO may move a follow-up along any arrow of ``ILO_MOVES``
(a company may say it is interested before the ILO informs it, an ILO may learn of a bid late);
outcomes need a bid (no win or loss without one), and a recorded outcome may only be corrected to
the other outcome or back to the bid. A company's own answer (the signed links in its mails) only
moves it between the states before a bid (``COMPANY_STATES``): an old "Interested" link can never
undo a bid or an outcome an ILO recorded.
"""

from __future__ import annotations

from typing import Literal

State = Literal["suggested", "proposed", "informed", "interested", "not_interested", "bid_submitted",
                "won", "lost", "withdrawn"]
STATES: tuple[State, ...] = ("suggested", "proposed", "informed", "interested", "not_interested",
                             "bid_submitted", "won", "lost", "withdrawn")
LABELS: dict[str, str] = {
    "suggested": "suggested", "proposed": "proposed to the organisation", "informed": "informed",
    "interested": "interested", "not_interested": "not interested", "bid_submitted": "bid submitted",
    "won": "won", "lost": "lost", "withdrawn": "withdrawn",
}
"""English labels (the web translates them with its other texts; the CLI prints them)."""
CLOSED: frozenset[str] = frozenset({"won", "lost", "withdrawn", "not_interested"})
"""States the board counts as finished (shown when asked for)."""
BEFORE_BID: frozenset[str] = frozenset({"suggested", "proposed", "informed", "interested", "not_interested"})
COMPANY_STATES: frozenset[str] = frozenset({"interested", "not_interested"})
"""What a company's answer may set, and only from a state in ``BEFORE_BID``."""

ILO_MOVES: dict[str, frozenset[str]] = {
    "suggested": frozenset({"proposed", "informed", "interested", "not_interested", "bid_submitted", "withdrawn"}),
    "proposed": frozenset({"informed", "interested", "not_interested", "bid_submitted", "withdrawn"}),
    "informed": frozenset({"proposed", "interested", "not_interested", "bid_submitted", "withdrawn"}),
    "interested": frozenset({"proposed", "not_interested", "bid_submitted", "withdrawn"}),
    "not_interested": frozenset({"informed", "interested", "bid_submitted", "withdrawn"}),
    "bid_submitted": frozenset({"won", "lost", "withdrawn"}),
    "won": frozenset({"lost", "bid_submitted"}),
    "lost": frozenset({"won", "bid_submitted"}),
    "withdrawn": frozenset({"informed", "interested", "bid_submitted"}),
}
"""from-state -> the states an ILO may set next."""

ANSWER_REASONS: dict[str, str] = {
    "wrong_area": "wrong area", "too_big": "too big", "not_eligible": "not eligible", "other": "other",
}
"""Why a company says "Not for us" (optional)."""


class TransitionError(ValueError):
    """A change the rules refuse, with the reason in words."""


def label(state: str | None) -> str:
    return LABELS.get(state or "", state or "")


def parse_state(value: str) -> State:
    """A state from user input: its name or its label, any case, dashes or spaces for underscores."""
    key = " ".join(value.strip().lower().replace("-", " ").replace("_", " ").split())
    for state in STATES:
        if key in (state.replace("_", " "), LABELS[state]):
            return state
    if key == "proposed":
        return "proposed"
    raise TransitionError(f"unknown state {value!r} (known: {', '.join(STATES)})")


def ilo_moves(current: str | None) -> list[str]:
    """The states an ILO may set next, in the states' order (a new follow-up: any but an outcome)."""
    if current is None:
        return [s for s in STATES if s not in ("won", "lost")]
    return [s for s in STATES if s in ILO_MOVES[current]]


def check_move(current: str | None, new: str, actor: str) -> None:
    """Raise ``TransitionError`` unless ``actor`` (ilo, company, system) may move ``current`` to ``new``.
    ``current`` None: the follow-up does not exist yet."""
    if new not in LABELS:
        raise TransitionError(f"unknown state {new!r}")
    if actor == "company":
        if new not in COMPANY_STATES:
            raise TransitionError("a company can only answer interested or not interested")
        if current is not None and current not in BEFORE_BID:
            raise TransitionError(f"the follow-up is already {label(current)}; the ILO recorded it, "
                                  "so the answer is not applied")
        return
    if current is None:
        if new in ("won", "lost"):
            raise TransitionError(f"a follow-up cannot start as {label(new)}: record the bid first")
        return
    if new == current:
        raise TransitionError(f"the follow-up is already {label(new)}")
    if new not in ILO_MOVES[current]:
        if new in ("won", "lost"):
            raise TransitionError(f"{label(new)} needs a bid: the follow-up is {label(current)}; "
                                  "record 'bid submitted' first")
        allowed = ", ".join(label(s) for s in STATES if s in ILO_MOVES[current])
        raise TransitionError(f"cannot go from {label(current)} to {label(new)} (from {label(current)}: {allowed})")
