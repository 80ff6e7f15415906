"""Stripe: the payment gateway (customers, checkout, portal, subscriptions, billing meter) and
webhook verification, through the official SDK."""
