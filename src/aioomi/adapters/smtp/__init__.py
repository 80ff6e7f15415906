"""Sending e-mail through an SMTP relay (any provider: SES, Postmark, Mailgun, a company server)."""
