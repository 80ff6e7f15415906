"""``aioomi retention report|run`` and ``aioomi policy publish|list``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from aioomi.domain.model.errors import InvalidInput
from aioomi.entrypoints.runtime import open_container
from aioomi.settings import Settings


async def retention_command(args: argparse.Namespace, settings: Settings) -> int:
    from aioomi.container import start, stop
    from aioomi.domain.usecases.privacy.retention_support import RETENTION_TABLE

    with open_container(settings) as container:
        await start(container)
        try:
            if args.retention_command == "run":
                summary = await container.retention_sweeps()()
                purged = await container.purge_deleted_accounts()()
                print(json.dumps(summary | {"deleted_accounts": purged or 0}, sort_keys=True))
                return 0
            runs = await container.retention_report()(max(1, min(args.limit, 1000)))
        finally:
            await stop(container)
    periods = {kind: period for kind, _, period in RETENTION_TABLE}
    print(f"{'finished (UTC)':<26} {'kind':<20} {'removed':>8}  retention")
    for run in runs:
        print(
            f"{run.finished_at:%Y-%m-%d %H:%M:%S}{'':<7} {run.kind:<20} {run.removed:>8}  {periods.get(run.kind, '')}"
        )
    if not runs:
        print("no sweep has run yet", file=sys.stderr)
    return 0


def _policy_text(path: str | None, effective: date) -> str:
    from pathlib import Path

    from aioomi.adapters.local.policy_texts import policy_text

    if path is None:
        return policy_text(effective.isoformat())
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"Cannot read the policy text: {error}", code="invalid_policy_text", field="text") from None


async def policy_command(args: argparse.Namespace, settings: Settings) -> int:
    from aioomi.container import start, stop

    with open_container(settings) as container:
        await start(container)
        try:
            if args.policy_command == "publish":
                try:
                    effective = date.fromisoformat(args.effective)
                except ValueError:
                    raise InvalidInput("--effective must be a date, YYYY-MM-DD.", code="invalid_date") from None
                body = _policy_text(args.text, effective)
                version = await container.publish_policy_version()(effective, args.summary, body)
                print(
                    f"published policy {version.version}, effective {version.effective_on}; the worker e-mails "
                    "every account"
                )
                return 0
            published = await container.published_policy()()
            for v in published.versions:
                print(
                    f"{v.version}  effective {v.effective_on}  {'in force' if v is published.current else ''}"
                    f"{'upcoming' if v is published.upcoming else ''}"
                )
            return 0
        finally:
            await stop(container)
