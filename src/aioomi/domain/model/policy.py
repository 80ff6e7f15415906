"""The privacy policy version seeded by migration 0011 (``policy_versions``).

The product never decides from this constant which version is in force: sign-up, Google
sign-up, the sign-up form and the footer read the store
(:class:`~aioomi.domain.usecases.privacy.get_published_policy.GetPublishedPolicy`). Tests use it to name the
seeded version.
"""

from __future__ import annotations

CURRENT_POLICY_VERSION = "2026-02-15"
"""The 'Last updated' date of the seed policy (src/aioomi/policy/2026-02-15.md)."""
