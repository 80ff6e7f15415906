"""Outbound webhooks: an account's endpoints, the events they receive, and their delivery."""
