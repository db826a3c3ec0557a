"""The follow-up's rules and its history: every change kept, refused changes refused with a reason and
nothing written, a company's answer idempotent and unable to undo what an ILO recorded."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import FollowUp, FollowUpChange, Notice
from tenderwatch.followup.records import (
    Actor,
    FollowUpError,
    add_company,
    change_state,
    find_company,
    mail_sent,
    parse_money,
)
from tenderwatch.followup.states import STATES, TransitionError, parse_state
from tenderwatch.followup.wins import recorded_wins
from tests.alerts.support import NOW, company, notice, set_companies, store

ILO = Actor("ilo", "anna")
OTHER_ILO = Actor("ilo", "bert")
ACME = Actor("company", "acme")


@pytest.fixture
def call(engine: Engine, config: Config) -> str:
    set_companies(engine, config, [company("acme", areas=["cryogenics"]), company("beta", areas=["vacuum"])])
    store(engine, config, [notice("C-1", "Cryostat for a test stand", areas=["cryogenics"])])
    with session_scope(engine) as s:
        return s.scalar(select(Notice.call_uid))


def _set(engine: Engine, call_uid: str, key: str, state: str, actor: Actor = ILO, **kw: object) -> FollowUp:
    with session_scope(engine) as s:
        fu, _ = change_state(s, call_uid=call_uid, company=find_company(s, key), state=state, actor=actor,
                             now=kw.pop("now", NOW), **kw)  # type: ignore[arg-type]
        s.expunge(fu)
        return fu


def _history(engine: Engine, call_uid: str, key: str) -> list[tuple[str, str | None, str, str | None]]:
    with session_scope(engine) as s:
        fu = s.scalar(select(FollowUp).where(FollowUp.call_uid == call_uid,
                                             FollowUp.company_id == find_company(s, key).id))
        assert fu is not None
        return [(c.by, c.from_state, c.to_state, c.note) for c in fu.changes]


def test_every_change_is_kept_with_who_when_from_to_and_note(engine: Engine, call: str) -> None:
    _set(engine, call, "acme", "proposed", note="on CERN's list")
    _set(engine, call, "acme", "interested", actor=ACME, now=NOW + timedelta(hours=1))
    _set(engine, call, "acme", "bid_submitted", actor=OTHER_ILO, now=NOW + timedelta(days=3))
    fu = _set(engine, call, "acme", "won", value=Decimal("125000.00"), currency="CHF", note="PO received",
              now=NOW + timedelta(days=30))
    assert fu.state == "won" and fu.value_amount == Decimal("125000.00") and fu.value_currency == "CHF"
    assert _history(engine, call, "acme") == [
        ("anna", None, "proposed", "on CERN's list"), ("acme", "proposed", "interested", None),
        ("bert", "interested", "bid_submitted", None), ("anna", "bid_submitted", "won", "PO received")]
    with session_scope(engine) as s:
        changes = list(s.scalars(select(FollowUpChange).order_by(FollowUpChange.id)))
        assert [c.at for c in changes] == [NOW, NOW + timedelta(hours=1), NOW + timedelta(days=3),
                                           NOW + timedelta(days=30)]
        assert [c.actor for c in changes] == ["ilo", "company", "ilo", "ilo"]
        assert changes[-1].value_amount == Decimal("125000.00")


@pytest.mark.parametrize(("path", "refused", "why"), [
    ([], "won", "record the bid first"),
    (["interested"], "won", "needs a bid"),
    (["informed"], "lost", "needs a bid"),
    (["bid_submitted"], "suggested", "cannot go from bid submitted to suggested"),
    (["bid_submitted", "won"], "interested", "cannot go from won to interested"),
    (["informed"], "informed", "already informed"),
])
def test_refused_changes_say_why_and_write_nothing(engine: Engine, call: str, path: list[str], refused: str,
                                                   why: str) -> None:
    for state in path:
        _set(engine, call, "acme", state)
    with pytest.raises(FollowUpError, match=why):
        _set(engine, call, "acme", refused)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(FollowUpChange)) == len(path)


def test_no_follow_up_and_no_win_for_a_call_that_does_not_exist(engine: Engine, call: str) -> None:
    with pytest.raises(FollowUpError, match="no call 'no-such-call'"):
        _set(engine, "no-such-call", "acme", "bid_submitted")
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(FollowUp)) == 0


def test_values_go_with_wins_only_and_need_a_currency(engine: Engine, call: str) -> None:
    with pytest.raises(FollowUpError, match="value goes with 'won' only"):
        _set(engine, call, "acme", "bid_submitted", value=Decimal(5), currency="EUR")
    _set(engine, call, "acme", "bid_submitted")
    with pytest.raises(FollowUpError, match="needs its currency"):
        _set(engine, call, "acme", "won", value=Decimal(5), currency=None)
    assert parse_money("1 250 000,50", "eur") == (Decimal("1250000.50"), "EUR")
    assert parse_money("1,250,000.50", "CHF") == (Decimal("1250000.50"), "CHF")
    assert parse_money("", "") == (None, None)
    for bad, currency in (("12x", "EUR"), ("-5", "EUR"), ("5", "EURO"), ("5", ""), ("", "EUR"), ("1e30", "EUR")):
        with pytest.raises(FollowUpError):
            parse_money(bad, currency)


def test_a_company_answer_is_idempotent_may_change_and_never_undoes_a_bid(engine: Engine, call: str) -> None:
    _set(engine, call, "acme", "interested", actor=ACME)
    with session_scope(engine) as s:  # the same link clicked again: nothing new
        _fu, changed = change_state(s, call_uid=call, company=find_company(s, "acme"), state="interested",
                                    actor=ACME, now=NOW)
        assert not changed
    _set(engine, call, "acme", "not_interested", actor=ACME, reason="too_big")
    _set(engine, call, "acme", "interested", actor=ACME)  # and changes its mind again
    _set(engine, call, "acme", "bid_submitted")
    with pytest.raises(FollowUpError, match="already bid submitted"):
        _set(engine, call, "acme", "not_interested", actor=ACME)
    with pytest.raises(FollowUpError, match="only answer"):
        _set(engine, call, "beta", "won", actor=Actor("company", "beta"))
    assert [h[2] for h in _history(engine, call, "acme")] == [
        "interested", "not_interested", "interested", "bid_submitted"]


def test_an_ilo_adds_a_company_that_did_not_match_only_with_a_reason(engine: Engine, call: str) -> None:
    with session_scope(engine) as s, pytest.raises(FollowUpError, match="say why"):
        add_company(s, call_uid=call, company=find_company(s, "beta"), why="  ", actor=ILO)
    with session_scope(engine) as s:
        fu = add_company(s, call_uid=call, company=find_company(s, "beta"),
                         why="builds cryostats\x1b[31m for ESS", actor=ILO, now=NOW)
        assert (fu.state, fu.origin, fu.origin_note) == ("suggested", "added", "builds cryostats[31m for ESS")


def test_a_targeted_mail_informs_but_never_sets_a_company_back(engine: Engine, call: str) -> None:
    with session_scope(engine) as s:
        assert mail_sent(s, call_uid=call, company=find_company(s, "acme"), actor=ILO, now=NOW).state == "informed"
    _set(engine, call, "beta", "interested", actor=Actor("company", "beta"))
    with session_scope(engine) as s:
        fu = mail_sent(s, call_uid=call, company=find_company(s, "beta"), actor=ILO, now=NOW, note="mail sent")
        assert fu.state == "interested"
    assert _history(engine, call, "beta")[-1] == ("anna", "interested", "interested", "mail sent")


def test_recorded_wins_list_the_winner_and_forget_a_corrected_win(engine: Engine, call: str) -> None:
    _set(engine, call, "acme", "bid_submitted")
    _set(engine, call, "acme", "won", value=Decimal("99.5"), currency="EUR", now=NOW + timedelta(days=40))
    _set(engine, call, "beta", "bid_submitted")
    _set(engine, call, "beta", "lost")
    with session_scope(engine) as s:
        wins = recorded_wins(s)
        assert [(w.winner_name, w.winner_country, w.value_amount, w.value_currency, w.organisation)
                for w in wins] == [("Acme", "NL", Decimal("99.50"), "EUR", "CERN")]
        assert wins[0].title == "Cryostat for a test stand"
        day = (NOW + timedelta(days=40)).date()
        assert len(recorded_wins(s, start=day, end=day)) == 1
        assert recorded_wins(s, end=day - timedelta(days=1)) == []
        assert recorded_wins(s, organisation="ESO") == []
        assert recorded_wins(s, organisations=frozenset({"ESO"})) == []
    _set(engine, call, "acme", "lost", note="award went to another bidder after all")
    with session_scope(engine) as s:
        assert recorded_wins(s, start=date(2000, 1, 1)) == []


def test_states_parse_from_names_and_labels() -> None:
    assert parse_state("Bid submitted") == "bid_submitted"
    assert parse_state("not-interested") == "not_interested"
    assert parse_state("proposed to the organisation") == "proposed"
    assert len(STATES) == 9
    with pytest.raises(TransitionError, match="unknown state"):
        parse_state("maybe")
