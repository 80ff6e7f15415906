"""RequireRecentSession: a browser session whose owner gave their password recently."""

from __future__ import annotations

from aioomi.domain.model.accounts import Principal, SessionPolicy, ensure_recent_authentication
from aioomi.ports.clock import Clock


class RequireRecentSession:
    """Let an authenticated principal through to an account-security operation.

    Rules: only a browser session (an API key: ``session_required``, 403) whose owner signed in
    or re-entered their password within the policy's re-authentication window
    (``reauthentication_required``, 403, when older).
    """

    def __init__(self, clock: Clock, policy: SessionPolicy) -> None:
        self._clock = clock
        self._policy = policy

    async def __call__(self, principal: Principal) -> Principal:
        ensure_recent_authentication(principal, self._clock.now(), self._policy.reauthentication_window)
        return principal
