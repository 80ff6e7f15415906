"""axe-core in the browser tests: injected into a page, it reports accessibility violations.
Installed from the npm registry by ``scripts/ensure-browser.sh`` (``make dev``) into tests/.tools."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.conftest import require

AXE = Path(
    os.environ.get("AIOOMI_AXE", Path(__file__).resolve().parents[1] / ".tools/node_modules/axe-core/axe.min.js")
)
SERIOUS = ("serious", "critical")


async def install_axe(page: Any) -> None:
    """Load axe into every document the page opens from now on (an init script: the pages'
    Content-Security-Policy, which forbids inline scripts, does not apply to it)."""
    require(AXE.exists(), f"axe-core is not installed at {AXE} (run `make dev` or scripts/ensure-browser.sh)")
    await page.add_init_script(path=str(AXE))


async def serious_violations(page: Any, context: str = "document") -> list[str]:
    """The serious and critical axe violations on the page (shadow roots included), as
    readable lines: rule, impact, and the first offending nodes. Call :func:`install_axe` first."""
    script = (
        "async () => (await axe.run(CONTEXT, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    found = await page.evaluate(script.replace("CONTEXT", context))
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in found if v["impact"] in SERIOUS]
