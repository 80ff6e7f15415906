"""E-mail the platform sends: verification links, password resets, notices."""

from __future__ import annotations

import msgspec


class EmailMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One message to one recipient. ``kind`` names its purpose (``verify_email``,
    ``reset_password``, ``signup_attempt``, ``email_change``) for logs and tests; ``html`` is an
    optional alternative to the plain ``text``, which every message has."""

    to: str
    subject: str
    text: str
    kind: str
    html: str | None = None
