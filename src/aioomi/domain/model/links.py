"""Links the product sends people (in e-mails), built from the public base URL."""

from __future__ import annotations

from urllib.parse import quote

import msgspec


class Links(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str

    def _page(self, path: str, token: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}?token={quote(token)}"

    def verify_email(self, token: str) -> str:
        return self._page("/verify-email", token)

    def reset_password(self, token: str) -> str:
        return self._page("/reset-password", token)

    def cancel_email_change(self, token: str) -> str:
        return self._page("/cancel-email-change", token)

    def accept_invitation(self, token: str) -> str:
        return self._page("/invitations/accept", token)

    def sign_in(self) -> str:
        return f"{self.base_url.rstrip('/')}/sign-in"
