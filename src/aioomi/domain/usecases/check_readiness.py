"""CheckReadiness: may this process take traffic?"""

from __future__ import annotations

from aioomi.domain.model.health import StoreStatus
from aioomi.ports.store_status import StoreStatusProbe


class CheckReadiness:
    """Report whether the process can serve requests.

    Rules:
    - ready only when the store is reachable, every migration shipped with this version is
      applied, and the vector extension is installed;
    - the probe goes through the application's own connection pool, so a ready answer means
      requests will find a working connection, not merely that some server is up.
    """

    def __init__(self, probe: StoreStatusProbe) -> None:
        self._probe = probe

    async def __call__(self) -> StoreStatus:
        return await self._probe.status()
