"""Workspaces, members, roles and invitations (issue 21): one use case per module."""
