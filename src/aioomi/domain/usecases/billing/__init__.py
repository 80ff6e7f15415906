"""Billing: plans, checkout, the billing portal, metered usage and Stripe's events; one use case per module."""
