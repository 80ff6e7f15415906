"""Rate limits on the sign-in surface: generous for people, tight for scripts."""

from __future__ import annotations

from datetime import timedelta

from aioomi.domain.model.rate_limits import RateLimit

SIGN_IN_PER_IP = RateLimit(name="sign_in_ip", limit=30, window=timedelta(minutes=15))
# Per account from its owner's own IP; per account from browsers it does not trust (the only
# count strangers can run up); per trusted browser (device cookie) of the account.
SIGN_IN_PER_ACCOUNT_AND_IP = RateLimit(name="sign_in_account_ip", limit=10, window=timedelta(minutes=15))
SIGN_IN_PER_ACCOUNT = RateLimit(name="sign_in_account", limit=50, window=timedelta(minutes=15))
SIGN_IN_PER_DEVICE = RateLimit(name="sign_in_device", limit=10, window=timedelta(minutes=15))
REAUTHENTICATE_PER_SESSION = RateLimit(name="reauth_session", limit=10, window=timedelta(minutes=15))
SIGN_UP_PER_IP = RateLimit(name="sign_up_ip", limit=10, window=timedelta(hours=1))
RESET_PER_IP = RateLimit(name="reset_ip", limit=10, window=timedelta(hours=1))
RESET_PER_ACCOUNT = RateLimit(name="reset_account", limit=3, window=timedelta(hours=1))
EMAIL_LINK_PER_ACCOUNT = RateLimit(name="email_link_account", limit=5, window=timedelta(hours=1))
