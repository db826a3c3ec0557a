"""Eligibility: member states by default, widened or narrowed by the notice's own words."""

from __future__ import annotations

from pipeline.normalise import eligible_countries

MEMBERS = ["DE", "FR", "NL"]


def test_member_states_by_default() -> None:
    assert eligible_countries(MEMBERS, None) == MEMBERS


def test_row_exception_adds_named_countries() -> None:
    note = "Open also to firms in Japan and the United States (HL-LHC collaboration)"
    assert eligible_countries(MEMBERS, note) == ["DE", "FR", "JP", "NL", "US"]


def test_open_to_all_lifts_restriction() -> None:
    assert eligible_countries(MEMBERS, "No geographical restrictions apply") is None


def test_restriction_narrows() -> None:
    assert eligible_countries(MEMBERS, "Restricted to firms established in France") == ["FR"]


def test_note_without_countries_keeps_members() -> None:
    assert eligible_countries(MEMBERS, "Firms must be registered suppliers") == MEMBERS
    assert eligible_countries(None, "Firms must be registered suppliers") is None
