"""Partners for a call: which companies together cover every technology area a call spans.

The network exists also to make Dutch companies bid together. For a call in several areas, the ILO's
matching page groups the matching companies per area and proposes the smallest sets of them that
cover every area (a set cover, solved exactly for the small numbers a call has: the fewest companies
first, then the sets whose members cover the most areas twice over). An area no company covers is
named, so the ILO knows whom to look for outside the list.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)
MAX_CANDIDATES = 30
MAX_TEAM = 4
MAX_TEAMS = 5


@dataclass
class Partners(Generic[T]):
    """Companies per area, the teams that cover every coverable area, and the areas nobody covers."""

    per_area: dict[str, list[T]] = field(default_factory=dict)
    teams: list[list[T]] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)


def partners(areas: Sequence[str], candidates: Iterable[tuple[T, Iterable[str]]], *,
             max_team: int = MAX_TEAM, max_teams: int = MAX_TEAMS) -> Partners[T]:
    """``candidates``: (company, its areas) in the order the page lists them (best match first)."""
    wanted = list(dict.fromkeys(areas))
    covers: dict[T, frozenset[str]] = {}
    for company, its_areas in candidates:
        mine = frozenset(its_areas) & set(wanted)
        if mine and company not in covers:
            covers[company] = mine
    result: Partners[T] = Partners(per_area={a: [c for c, cov in covers.items() if a in cov] for a in wanted})
    result.uncovered = [a for a in wanted if not result.per_area[a]]
    goal = frozenset(wanted) - set(result.uncovered)
    if len(goal) < 2:  # one area needs no team
        return result
    # the companies covering most of the goal first; at most MAX_CANDIDATES of them are combined
    pool = sorted(covers, key=lambda c: -len(covers[c]))[:MAX_CANDIDATES]
    for size in range(1, max_team + 1):
        teams = [list(team) for team in combinations(pool, size)
                 if frozenset().union(*(covers[c] for c in team)) >= goal]
        if teams:
            teams.sort(key=lambda team: -sum(len(covers[c]) for c in team))
            result.teams = teams[:max_teams]
            break
    return result
