"""Web commands: ``serve`` (the site, on loopback by default), ``users`` (sign-in accounts) and
``links`` (a company's signed preferences, unsubscribe and calendar URLs)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from tenderwatch.cli.base import app, fail
from tenderwatch.cli.tables import CODE, fitted_table
from tenderwatch.context import AppContext
from tenderwatch.terminal import shown

users_app = typer.Typer(help="Web users (ILOs and administrators).", no_args_is_help=True)
app.add_typer(users_app, name="users")

PASSWORD_ENV = "TENDERWATCH_NEW_PASSWORD"


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", metavar="HOST",
                                      help="Interface to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option("--port", metavar="PORT", help="TCP port (8000 when not given).",
                                             min=0, max=65535)] = None,
    proxy: Annotated[bool, typer.Option("--behind-proxy", help="Trust X-Forwarded-* from 127.0.0.1.")] = False,
    demo: Annotated[bool, typer.Option("--demo", help="Serve the last 'tenderwatch demo' (its database and "
                                                      "secret, on loopback) so that its mails' links work; "
                                                      "what 'make serve-demo' runs.")] = False,
    demo_folder: Annotated[Path, typer.Option("--demo-folder", help="With --demo: the demo's folder.")]
    = Path("var/demo"),
) -> None:
    """Start the web site (Starlette + uvicorn); needs the secret key in the environment (--demo: its own)."""
    app_ctx: AppContext = ctx.obj
    settings = app_ctx.config.settings
    if demo:
        port = _demo_setup(app_ctx, demo_folder, host, port)
    port = 8000 if port is None else port
    if not settings.secret_key():
        fail(f"no secret key: set the environment variable {settings.secret_key_env} to a long random value, "
             f"e.g.  export {settings.secret_key_env}=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')")
    import uvicorn

    from tenderwatch.web.app import NoSecretKeyError, create_app

    engine = app_ctx.prepare_database()
    try:
        web = create_app(app_ctx.config, engine)
    except NoSecretKeyError as exc:
        fail(str(exc))
    if host not in ("127.0.0.1", "localhost", "::1"):
        app_ctx.err.print(f"[yellow]listening on {host}: the site is reachable from other machines[/]")
    app_ctx.console.print(f"[green]✓[/] Tenderwatch on [bold]http://{host}:{port}/[/] "
                          f"(public address {settings.site_base_url}); Ctrl-C stops")
    from tenderwatch.web.logs import uvicorn_log_config

    uvicorn.run(web, host=host, port=port, proxy_headers=proxy, forwarded_allow_ips="127.0.0.1" if proxy else None,
                server_header=False, log_level="info", log_config=uvicorn_log_config())


def _demo_setup(app_ctx: AppContext, folder: Path, host: str, port: int | None) -> int:
    """Point the command at the demo's database, secret and address; say where and how to sign in."""
    from tenderwatch.cli.demo import show_demo_site
    from tenderwatch.demo import DEMO_HOST, DemoSite, ensure_demo_secret

    if host != DEMO_HOST:
        fail(f"--demo listens on {DEMO_HOST} only (its sign-in is printed in the clear)", 2)
    if app_ctx.db_url:
        fail("--demo serves the demo's own database: leave out --database", 2)
    site = DemoSite.read(folder)
    if site is None or not (folder / "tenderwatch.db").is_file():
        fail(f"no demo in {folder}: run 'make demo' (or 'tenderwatch demo') first", 2)
    settings = app_ctx.config.settings
    app_ctx.db_url = f"sqlite:///{folder / 'tenderwatch.db'}"
    settings.site_base_url = site.url
    ensure_demo_secret(folder, settings.secret_key_env)
    show_demo_site(app_ctx.console, folder, site)
    if port is not None and port != site.port:
        app_ctx.err.print(f"[yellow]the demo's mails link to port {site.port}, not {port}[/]")
        settings.site_base_url = DemoSite(port).url
    return site.port if port is None else port


def _password(prompt: bool) -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not prompt:
        fail(f"no password: set {PASSWORD_ENV} or run in a terminal to be asked")
    first = getpass.getpass("Password (10+ characters): ")
    if first != getpass.getpass("Again: "):
        fail("the two passwords differ")
    return first


def _add(ctx: typer.Context, username: str, role: str, ilo_email: str | None, replace: bool) -> None:
    from tenderwatch.web.users import UserError, add_user

    app_ctx: AppContext = ctx.obj
    engine = app_ctx.prepare_database()
    password = _password(prompt=app_ctx.err.is_terminal)
    try:
        add_user(engine, username, password, role, ilo_email=ilo_email, replace_password=replace)
    except UserError as exc:
        fail(str(exc))
    app_ctx.console.print(f"[green]✓[/] {role} {username!r} {'updated' if replace else 'created'}")


@users_app.command("create-admin")
def create_admin(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(metavar="USERNAME", help="User name of the administrator.")] = "admin",
) -> None:
    """Create the first administrator (password asked, or from $TENDERWATCH_NEW_PASSWORD)."""
    _add(ctx, username, "admin", None, replace=False)


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(metavar="USERNAME", help="User name.")],
    role: Annotated[str, typer.Option("--role", metavar="ilo|admin", help="ilo or admin.")] = "ilo",
    ilo_email: Annotated[str | None, typer.Option("--ilo", metavar="EMAIL",
                                                  help="E-mail of the ILO in config this user is.")] = None,
    reset: Annotated[bool, typer.Option("--reset-password", help="Set a new password for an existing user.")] = False,
) -> None:
    """Add a web user (or reset a password)."""
    _add(ctx, username, role, ilo_email, replace=reset)


@users_app.command("role")
def users_role(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Argument(help="ilo or admin.")],
) -> None:
    """Change a user's role; the user's open sessions end."""
    from tenderwatch.web.users import UserError, set_role

    app_ctx: AppContext = ctx.obj
    try:
        set_role(app_ctx.prepare_database(), username, role)
    except UserError as exc:
        fail(str(exc))
    app_ctx.console.print(f"[green]✓[/] {shown(username)} is now {shown(role)}; open sessions ended")


@users_app.command("delete")
def users_delete(ctx: typer.Context, username: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Delete a web user; the user's open sessions end."""
    from tenderwatch.web.users import UserError, delete_user

    app_ctx: AppContext = ctx.obj
    try:
        delete_user(app_ctx.prepare_database(), username)
    except UserError as exc:
        fail(str(exc))
    app_ctx.console.print(f"[green]✓[/] {shown(username)} deleted; open sessions ended")


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """List web users."""
    from tenderwatch.web.users import list_users

    app_ctx: AppContext = ctx.obj
    app_ctx.console.print(fitted_table("Web users", [("user", CODE), ("role", CODE), ("created", CODE)], [
        (shown(u.username), u.role, u.created_at.date().isoformat()) for u in list_users(app_ctx.prepare_database())]))


@app.command("links")
def links(
    ctx: typer.Context,
    company: Annotated[str, typer.Argument(metavar="COMPANY", help="Company key.")],
    rotate_calendar: Annotated[bool, typer.Option(
        "--rotate-calendar", help="Make a new calendar link; the old one stops working.")] = False,
) -> None:
    """Print a company's signed links: preferences, one-click unsubscribe, deadline calendar.

    The company is one of the database (config/companies.yaml or 'companies import'); an unknown key
    is refused, with the closest known keys."""
    from difflib import get_close_matches

    from sqlalchemy import select

    from tenderwatch.db.engine import session_scope
    from tenderwatch.db.models import Company
    from tenderwatch.web.links import company_links

    app_ctx: AppContext = ctx.obj
    settings = app_ctx.config.settings
    secret = settings.secret_key()
    if not secret:
        fail(f"no secret key: set the environment variable {settings.secret_key_env}")
    with session_scope(app_ctx.prepare_database()) as session:
        keys = list(session.scalars(select(Company.key)))
        found = session.scalar(select(Company).where(Company.key == company))
        name, unsubscribed = (found.name, found.unsubscribed_at) if found else (None, None)
        if found is not None and rotate_calendar:
            found.calendar_version += 1
        version = found.calendar_version if found is not None else 0
    if name is None:
        near = get_close_matches(company, keys, n=3, cutoff=0.5)
        fail(f"no company {company!r} in the database"
             + (f" (did you mean {', '.join(near)}?)" if near else f" ({len(keys)} companies: see config/"
                "companies.yaml, or add them with 'tenderwatch companies import')"), 2)
    app_ctx.console.print(f"{name}" + (f" (unsubscribed on {unsubscribed:%Y-%m-%d})" if unsubscribed else ""),
                          markup=False)
    if rotate_calendar:
        app_ctx.err.print("[green]✓[/] new calendar link; the old one stops working")
    for label, url in company_links(settings, secret, company, version).items():
        app_ctx.console.print(f"{label:12} {url}", markup=False, soft_wrap=True)
