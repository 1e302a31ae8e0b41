"""Commands for running the site: ``sulh manage`` and ``sulh serve``."""

from __future__ import annotations

import argparse
import os
import sys

from sulh.core.setup import setup_django


def register(subparsers: argparse._SubParsersAction) -> None:
    manage = subparsers.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_manage)

    serve = subparsers.add_parser("serve", help="serve the staff site with gunicorn")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--workers", type=int, default=3)
    serve.set_defaults(handler=_serve)


def _manage(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sulh manage", *args.rest])
    return 0


def _serve(args: argparse.Namespace) -> int:
    return serve_site(host=args.host, port=args.port, workers=args.workers)


def serve_site(*, host: str, port: int, workers: int) -> int:
    """Run gunicorn in the foreground; static files are served by the app itself."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
    os.execv(  # noqa: S606 - replaces this process with the server on purpose
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "sulh.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
        ],
    )
