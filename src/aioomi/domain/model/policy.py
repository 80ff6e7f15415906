"""The privacy policy version in force. Sign-up records which version the owner accepted."""

from __future__ import annotations

CURRENT_POLICY_VERSION = "2026-02-15"
"""The 'Last updated' date of the policy in force (seed/privacy-policy.txt)."""
