"""Load and validate the config folder; every error names file, entry and field."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tenderwatch.config.companies import CompanyConfig
from tenderwatch.config.models import Config, OrganisationConfig, Settings, SourceConfig
from tenderwatch.config.taxonomy import TaxonomyConfig

M = TypeVar("M", bound=BaseModel)

FILES = ("settings.yaml", "organisations.yaml", "sources.yaml", "taxonomy.yaml", "companies.yaml")


class ConfigError(Exception):
    """Raised with one line per problem: ``file: entry 'x' (#n): field 'a.b': message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader with YAML 1.2 booleans: only true/false, so country code NO (Norway) stays a string.

    libyaml's parser when PyYAML has it (every command reads the config: 0.4 s in pure Python, 0.04 s
    with libyaml); the resolvers and constructors stay PyYAML's own, so the result is the same."""


_Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Yaml12Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list(_first)
    )


def load_yaml(stream: Any) -> Any:
    """Parse YAML safely (no object construction) with YAML 1.2 booleans."""
    return yaml.load(stream, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


def config_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config folder: explicit argument, else TENDERWATCH_CONFIG_DIR, else ./config."""
    return Path(explicit or os.environ.get("TENDERWATCH_CONFIG_DIR") or "config")


def _read_yaml(path: Path, problems: list[str]) -> Any:
    if not path.exists():
        problems.append(f"{path}: file missing")
        return None
    try:
        with path.open(encoding="utf-8") as fh:
            return load_yaml(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(f"{path}:{where}: not valid YAML: {getattr(exc, 'problem', exc)}")
        return None


def _field(loc: Iterable[Any]) -> str:
    return ".".join(str(p) for p in loc) or "(entry)"


def _validation_lines(path: Path, entry: str, exc: ValidationError, prefix: str = "") -> list[str]:
    lines = []
    for err in exc.errors(include_url=False):
        field = _field(err["loc"])
        if prefix:
            field = f"{prefix}.{field}" if field != "(entry)" else prefix
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"{path}: {entry}: field '{field}': {msg}")
    return lines


def _entry_name(item: Any, index: int, key: str) -> str:
    if isinstance(item, dict) and isinstance(item.get(key), str):
        return f"entry '{item[key]}' (#{index + 1})"
    return f"entry #{index + 1}"


def _list_of(
    path: Path, data: Any, model: type[M], key: str, problems: list[str], wrapper: str
) -> list[M]:
    if data is None:
        return []
    if isinstance(data, dict) and wrapper in data:
        data = data[wrapper]
    if not isinstance(data, list):
        problems.append(f"{path}: expected a list of entries under '{wrapper}'")
        return []
    out: list[M] = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        name = _entry_name(item, i, key)
        if not isinstance(item, dict):
            problems.append(f"{path}: {name}: expected a mapping, got {type(item).__name__}")
            continue
        try:
            obj = model.model_validate(item)
        except ValidationError as exc:
            problems.extend(_validation_lines(path, name, exc))
            continue
        ident = getattr(obj, key)
        if ident in seen:
            problems.append(f"{path}: {name}: field '{key}': duplicate {key} {ident!r}")
            continue
        seen.add(ident)
        out.append(obj)
    return out


def _check_source_options(path: Path, sources: list[SourceConfig], raw: Any, problems: list[str]) -> None:
    """Validate each source's kind and options through the kind's own option model."""
    from spiders.kind_options import KIND_OPTIONS, options_model

    for i, src in enumerate(sources):
        name = f"entry '{src.name}' (#{i + 1})"
        if src.kind not in KIND_OPTIONS:
            problems.append(
                f"{path}: {name}: field 'kind': unknown kind {src.kind!r} (known: {', '.join(sorted(KIND_OPTIONS))})"
            )
            continue
        try:
            options = options_model(src.kind).model_validate(src.options)
        except ValidationError as exc:
            problems.extend(_validation_lines(path, name, exc, prefix="options"))
            continue
        src.options = options.model_dump()
        check_urls = getattr(options, "start_url_problems", None)
        problems.extend(f"{path}: {name}: field 'start_urls': {p}" for p in (check_urls(src.start_urls)
                                                                              if check_urls else []))


def _schedule_problems(schedule: Any, floor: int, where: str) -> list[str]:
    """A crawl schedule must not run more often than the politeness floor (cron expressions included)."""
    from tenderwatch.config.schedules import shortest_gap_minutes

    gap = shortest_gap_minutes(schedule)
    if gap >= floor:
        return []
    if schedule.interval_minutes is not None:
        return [f"{where}.interval_minutes': {schedule.interval_minutes} is below the politeness floor of {floor} "
                "minutes (settings crawl.min_interval_minutes)"]
    return [f"{where}.cron': {schedule.cron!r} runs every {gap:g} minutes, below the politeness floor of {floor} "
            "minutes (settings crawl.min_interval_minutes)"]


def load_config(directory: str | os.PathLike[str] | None = None) -> Config:
    """Read every file of the config folder; raise ``ConfigError`` listing all problems at once."""
    root = config_dir(directory)
    problems: list[str] = []
    if not root.is_dir():
        raise ConfigError([f"{root}: config folder not found (use --config DIR or TENDERWATCH_CONFIG_DIR)"])

    settings_raw = _read_yaml(root / "settings.yaml", problems)
    settings = Settings()
    if isinstance(settings_raw, dict):
        try:
            settings = Settings.model_validate(settings_raw)
        except ValidationError as exc:
            problems.extend(_validation_lines(root / "settings.yaml", "settings", exc))
    elif settings_raw is not None:
        problems.append(f"{root / 'settings.yaml'}: expected a mapping")

    orgs = _list_of(
        root / "organisations.yaml",
        _read_yaml(root / "organisations.yaml", problems),
        OrganisationConfig,
        "code",
        problems,
        "organisations",
    )
    sources_path = root / "sources.yaml"
    sources_raw = _read_yaml(sources_path, problems)
    sources = _list_of(sources_path, sources_raw, SourceConfig, "name", problems, "sources")
    _check_source_options(sources_path, sources, sources_raw, problems)

    org_codes = {o.code for o in orgs}
    for i, src in enumerate(sources):
        if src.organisation is not None and src.organisation not in org_codes:
            problems.append(
                f"{sources_path}: entry '{src.name}' (#{i + 1}): field 'organisation': "
                f"unknown organisation {src.organisation!r} (not in organisations.yaml)"
            )
        if src.schedule is not None:
            problems.extend(_schedule_problems(src.schedule, settings.crawl.min_interval_minutes,
                                               f"{sources_path}: entry '{src.name}' (#{i + 1}): field 'schedule"))
    problems.extend(_schedule_problems(settings.crawl.default_schedule, settings.crawl.min_interval_minutes,
                                       f"{root / 'settings.yaml'}: settings: field 'crawl.default_schedule"))

    taxonomy = None
    tax_path = root / "taxonomy.yaml"
    tax_raw = _read_yaml(tax_path, problems)
    if isinstance(tax_raw, dict):
        try:
            taxonomy = TaxonomyConfig.model_validate(tax_raw)
        except ValidationError as exc:
            problems.extend(_validation_lines(tax_path, "taxonomy", exc))
    elif tax_raw is not None:
        problems.append(f"{tax_path}: expected a mapping with 'areas'")

    comp_path = root / "companies.yaml"
    companies = _list_of(comp_path, _read_yaml(comp_path, problems), CompanyConfig, "key", problems, "companies")
    if taxonomy is not None:
        area_ids = {a.id for a in taxonomy.areas}
        for i, comp in enumerate(companies):
            for area in comp.areas:
                if area not in area_ids:
                    problems.append(
                        f"{comp_path}: entry '{comp.key}' (#{i + 1}): field 'areas': unknown area {area!r}"
                    )
            for code in comp.organisations:
                if code not in org_codes:
                    problems.append(
                        f"{comp_path}: entry '{comp.key}' (#{i + 1}): field 'organisations': "
                        f"unknown organisation {code!r}"
                    )

    if problems:
        raise ConfigError(problems)
    assert taxonomy is not None
    return Config(
        directory=str(root),
        settings=settings,
        organisations=orgs,
        sources=sources,
        taxonomy=taxonomy,
        companies=companies,
    )
