"""Lead capture: the form an agent's widget offers (up to 8 fields, a consent line linking the
owner's privacy notice, when it is shown), the leads visitors leave, and the pure rules that
check both. E-mail addresses are checked with ``email-validator`` (syntax only, no DNS) and
phone numbers with ``phonenumbers`` (international form, ``+`` and country code)."""

from __future__ import annotations

import enum
import re
from datetime import datetime
from urllib.parse import urlsplit

import msgspec
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from aioomi.domain.model.errors import InvalidInput, NotFound
from aioomi.domain.model.privacy import months_before

LEAD_PREFIX = "lead"
MAX_FIELDS = 8
MAX_LABEL = 80
MAX_VALUE = 500
MAX_OPTIONS = 20
MAX_OPTION = 80
MAX_TEXT = 300
MAX_AFTER_MESSAGES = 50
DEFAULT_RETENTION_MONTHS = 24
MAX_RETENTION_MONTHS = 120
NOTIFY_NEW_LEAD = "leads.notify_new"
LEAD_CREATED = "lead.created"
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class FieldKind(enum.StrEnum):
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    COMPANY = "company"
    TEXT = "text"
    CHOICE = "choice"


class Trigger(enum.StrEnum):
    BEFORE_CHAT = "before_chat"
    AFTER_MESSAGES = "after_messages"
    ON_REQUEST = "on_request"
    ON_FALLBACK = "on_fallback"


class LeadFormNotFound(NotFound):
    code = "lead_form_not_found"
    title = "This agent collects no leads"


class LeadNotFound(NotFound):
    code = "lead_not_found"
    title = "Lead not found"


class InvalidLeadForm(InvalidInput):
    code = "invalid_lead_form"
    title = "Invalid lead form"


class InvalidLead(InvalidInput):
    """A submission that breaks the form's rules; ``field_errors`` names every bad field, in
    words a visitor understands."""

    code = "invalid_lead"
    title = "Please check the form"

    def __init__(self, field_errors: list[tuple[str, str]]) -> None:
        super().__init__(field_errors[0][1], field=field_errors[0][0])
        self.field_errors = tuple(field_errors)


class LeadField(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    kind: FieldKind
    label: str
    required: bool = False
    options: tuple[str, ...] = ()


class LeadForm(msgspec.Struct, frozen=True, kw_only=True):
    """An agent's lead form. ``retention_months``: leads are deleted that long after they were
    left (default 24). ``after_messages`` counts the visitor's messages for that trigger."""

    account_id: str
    agent_id: str
    enabled: bool = False
    fields: tuple[LeadField, ...] = ()
    trigger: Trigger = Trigger.ON_REQUEST
    after_messages: int = 3
    intro: str = "Leave your details and we will get back to you."
    consent_text: str = "I agree that my details are stored to answer my request."
    privacy_url: str | None = None
    retention_months: int = DEFAULT_RETENTION_MONTHS
    notify: bool = True
    updated_at: datetime | None = None


class Lead(msgspec.Struct, frozen=True, kw_only=True):
    """What a visitor left: the values by field key, the consent line as it was shown, with
    their conversation (``session_id``, when there is one) and visitor id."""

    id: str
    account_id: str
    agent_id: str
    visitor_id: str
    values: dict[str, str]
    consent_text: str
    privacy_url: str | None
    created_at: datetime
    session_id: str | None = None


def default_form(account_id: str, agent_id: str) -> LeadForm:
    return LeadForm(
        account_id=account_id,
        agent_id=agent_id,
        fields=(
            LeadField(key="name", kind=FieldKind.NAME, label="Name", required=True),
            LeadField(key="email", kind=FieldKind.EMAIL, label="E-mail", required=True),
        ),
    )


def _text(value: str, limit: int, what: str, field: str) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidLeadForm(f"{what} must be 1 to {limit} characters.", field=field)
    return value


def check_lead_form(form: LeadForm) -> LeadForm:
    """The form's rules: at most 8 fields with distinct keys (lowercase letters, digits, ``_``)
    and labels; a choice has 2–20 options; an enabled form has at least one field and a
    privacy notice address (http/https) that its consent line links; 1–50 messages for
    ``after_messages``; a retention of 1–120 months."""
    if len(form.fields) > MAX_FIELDS:
        raise InvalidLeadForm(f"A form has at most {MAX_FIELDS} fields.", field="fields")
    keys: set[str] = set()
    fields = []
    for i, f in enumerate(form.fields):
        if not _KEY.match(f.key) or f.key in keys:
            raise InvalidLeadForm(
                "Each field needs its own key: lowercase letters, digits and _, starting with a letter.",
                field=f"fields[{i}].key",
            )
        keys.add(f.key)
        options: tuple[str, ...] = ()
        if f.kind is FieldKind.CHOICE:
            options = tuple(_text(o, MAX_OPTION, "An option", f"fields[{i}].options") for o in f.options)
            if not 2 <= len(options) <= MAX_OPTIONS or len(set(options)) != len(options):
                raise InvalidLeadForm(
                    f"A choice has 2 to {MAX_OPTIONS} different options.", field=f"fields[{i}].options"
                )
        fields.append(
            msgspec.structs.replace(
                f, label=_text(f.label, MAX_LABEL, "A label", f"fields[{i}].label"), options=options
            )
        )
    privacy_url = (form.privacy_url or "").strip() or None
    if privacy_url is not None:
        parts = urlsplit(privacy_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or len(privacy_url) > 2000:
            raise InvalidLeadForm("The privacy notice must be an http:// or https:// address.", field="privacy_url")
    if form.enabled and not fields:
        raise InvalidLeadForm("An enabled form needs at least one field.", field="fields")
    if form.enabled and privacy_url is None:
        raise InvalidLeadForm("An enabled form links your privacy notice: give its address.", field="privacy_url")
    if not 1 <= form.after_messages <= MAX_AFTER_MESSAGES:
        raise InvalidLeadForm(f"Show the form after 1 to {MAX_AFTER_MESSAGES} messages.", field="after_messages")
    if not 1 <= form.retention_months <= MAX_RETENTION_MONTHS:
        raise InvalidLeadForm(f"Keep leads 1 to {MAX_RETENTION_MONTHS} months.", field="retention_months")
    return msgspec.structs.replace(
        form,
        fields=tuple(fields),
        privacy_url=privacy_url,
        intro=_text(form.intro, MAX_TEXT, "The introduction", "intro"),
        consent_text=_text(form.consent_text, MAX_TEXT, "The consent line", "consent_text"),
    )


def check_submission(form: LeadForm, values: dict[str, str], consent: bool) -> dict[str, str]:
    """The submitted values, normalised (an e-mail address as ``email-validator`` writes it, a
    phone number in E.164), or :class:`InvalidLead` naming every bad field: a required field
    left empty, an address or number that is not one, a choice not offered, a value over 500
    characters, a field the form does not have, the consent box not ticked."""
    errors: list[tuple[str, str]] = []
    known = {f.key for f in form.fields}
    for key in sorted(set(values) - known):
        errors.append((key, "This form has no such field."))
    clean: dict[str, str] = {}
    for f in form.fields:
        value = (values.get(f.key) or "").strip()
        if not value:
            if f.required:
                errors.append((f.key, f"Please fill in “{f.label}”."))
            continue
        if len(value) > MAX_VALUE:
            errors.append((f.key, f"“{f.label}” is too long (at most {MAX_VALUE} characters)."))
        elif f.kind is FieldKind.EMAIL:
            try:
                clean[f.key] = validate_email(value, check_deliverability=False).normalized
            except EmailNotValidError:
                errors.append((f.key, "This is not an e-mail address we can write to (for example ada@example.com)."))
        elif f.kind is FieldKind.PHONE:
            number = _phone(value)
            if number is None:
                errors.append((f.key, "Give the phone number with its country code, for example +44 20 7946 0958."))
            else:
                clean[f.key] = number
        elif f.kind is FieldKind.CHOICE and value not in f.options:
            errors.append((f.key, f"Choose one of the options for “{f.label}”."))
        else:
            clean[f.key] = value
    if not consent:
        errors.append(("consent", "Please tick the box to agree, so we may store your details."))
    if errors:
        raise InvalidLead(errors)
    return clean


def _phone(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def expired_before(now: datetime, retention_months: int) -> datetime:
    """Leads left before this instant are past ``retention_months`` (calendar months)."""
    return months_before(now, retention_months)


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """A cell a spreadsheet will not run: one starting like a formula gets a leading ``'``."""
    return "'" + value if value.startswith(_FORMULA) else value
