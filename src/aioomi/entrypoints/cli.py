"""The ``aioomi`` command: serve, worker, migrate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from typing import TypedDict

import msgspec

from aioomi import __version__
from aioomi.adapters.postgres.migrations import migrate
from aioomi.domain.model.errors import AioomiError
from aioomi.entrypoints.logging_setup import configure_logging
from aioomi.entrypoints.runtime import database_conninfo, open_container
from aioomi.settings import Settings, SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aioomi", description="AI assistants for websites.")
    parser.add_argument("--version", action="version", version=f"aioomi {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the HTTP API, widget and dashboard")
    serve.add_argument("--host", help="interface to listen on (AIOOMI_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (AIOOMI_PORT, default 8000)")
    serve.add_argument("--memory", action="store_true", help="keep everything in memory: no database")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not run the job worker in this process (it runs by default on the embedded "
        "database and in memory; with DATABASE_URL run `aioomi worker` separately)",
    )
    serve.add_argument(
        "--with-worker", action="store_true", help="run the worker in this process even with DATABASE_URL"
    )

    commands.add_parser("worker", help="run background jobs and periodic sweeps")
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    _privacy_commands(commands)
    return parser


def _privacy_commands(commands: argparse._SubParsersAction) -> None:
    retention = commands.add_parser("retention", help="the retention sweeps: what they removed, and when")
    retention_do = retention.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    report = retention_do.add_parser("report", help="print the recorded sweep runs, newest first")
    report.add_argument("--limit", type=int, default=50)
    retention_do.add_parser("run", help="run every sweep once now")
    policy = commands.add_parser("policy", help="privacy policy versions")
    policy_do = policy.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    publish = policy_do.add_parser("publish", help="publish a material change (at least 30 days ahead)")
    publish.add_argument("--effective", required=True, help="effective date, YYYY-MM-DD")
    publish.add_argument("--summary", default="", help="what changes, for the e-mail notice")
    publish.add_argument(
        "--text",
        default=None,
        metavar="FILE",
        help="the policy's Markdown text (default: the shipped aioomi/policy/<effective>.md)",
    )
    policy_do.add_parser("list", help="print the published versions")


async def _retention(args: argparse.Namespace, settings: Settings) -> int:
    from aioomi.entrypoints.privacy_cli import retention_command

    return await retention_command(args, settings)


async def _policy(args: argparse.Namespace, settings: Settings) -> int:
    from aioomi.entrypoints.privacy_cli import policy_command

    return await policy_command(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"aioomi: configuration error: {error.detail}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    command = {"serve": _serve, "worker": _worker, "migrate": _migrate, "retention": _retention, "policy": _policy}[
        args.command
    ]
    try:
        return asyncio.run(command(args, settings))
    except AioomiError as error:
        print(f"aioomi: error: {error.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    with database_conninfo(settings) as conninfo:
        applied = await migrate(conninfo, connect_timeout_s=settings.db_connect_timeout_s)
    print(
        f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else "; the schema is current")
    )
    return 0


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from aioomi.container import start, stop
    from aioomi.entrypoints.demo import demo_enabled, demo_origins
    from aioomi.entrypoints.http.app import create_app

    _GracefulServer = _graceful_server_class()

    host = args.host or settings.host
    port = args.port or settings.port
    # The address served is the one the settings describe (e-mailed links, and whether this is
    # the loopback first run whose log may show them).
    settings = msgspec.structs.replace(settings, host=host, port=port)
    run_worker = not args.no_worker and (args.with_worker or args.memory or settings.embedded_database)
    base = (settings.public_url or f"http://{host}:{port}").rstrip("/")
    demo = demo_origins(base) if demo_enabled(settings, memory=args.memory) else None
    with open_container(settings, memory=args.memory) as container:
        await start(container)
        try:
            app = create_app(container, run_worker=run_worker, manage_lifecycle=False, demo_origins=demo)
            server = _GracefulServer(
                uvicorn.Config(
                    app,
                    host=host,
                    port=port,
                    log_config=None,
                    access_log=False,
                    lifespan="on",
                    server_header=False,
                    **proxy_options(settings),
                )
            )
            base = f"http://{host}:{port}"
            print(
                f"\n  Aioomi {__version__} is serving on {base}\n"
                f"    dashboard  {base}/   (sign up there; {_where_mail_goes(container.mailer())})\n"
                + (f"    demo       {base}/demo   (a working assistant; AIOOMI_DEMO=off hides it)\n" if demo else "")
                + f"    API docs   {base}/schema\n"
                f"    health     {base}/healthz   readiness {base}/readyz\n"
                f"    storage    {'in memory' if args.memory else 'embedded PostgreSQL in ' + str(settings.pgdata) if settings.embedded_database else 'DATABASE_URL'}"
                f"{'; worker in this process' if run_worker else ''}\n",
                file=sys.stderr,
                flush=True,
            )
            await server.serve()
        finally:
            await stop(container)
    return 0


class ProxyOptions(TypedDict):
    proxy_headers: bool
    forwarded_allow_ips: list[str]


def proxy_options(settings: Settings) -> ProxyOptions:
    """uvicorn's proxy-header options from ``AIOOMI_TRUSTED_PROXIES``: X-Forwarded-For and
    X-Forwarded-Proto are believed from those networks only, and from no one when it is empty
    (uvicorn's own default would trust 127.0.0.1, letting any local client claim any IP)."""
    networks = [str(network) for network in settings.trusted_proxy_networks]
    return {"proxy_headers": bool(networks), "forwarded_allow_ips": networks}


def _graceful_server_class():
    import uvicorn

    class GracefulServer(uvicorn.Server):
        """uvicorn re-raises SIGTERM/SIGINT after its own shutdown, which would kill the process
        before the database pool and the embedded server are stopped; swallow it, we exit
        cleanly on our own."""

        @contextlib.contextmanager
        def capture_signals(self):
            with super().capture_signals():
                yield
                self._captured_signals.clear()

    return GracefulServer


async def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from aioomi.container import start, stop
    from aioomi.entrypoints.worker.jobs import build_worker

    with open_container(settings) as container:
        await start(container)
        try:
            worker = build_worker(container)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, worker.stop)
            await worker.run()
        finally:
            await stop(container)
    return 0


def _where_mail_goes(mailer: object) -> str:
    if getattr(mailer, "log_links", False):
        return "confirmation e-mails are printed in this log"
    folder = getattr(mailer, "directory", None)
    return f"confirmation e-mails are kept in {folder}" if folder is not None else "e-mails go to the SMTP relay"


if __name__ == "__main__":
    sys.exit(main())
