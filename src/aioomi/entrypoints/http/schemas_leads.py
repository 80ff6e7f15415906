"""Request and response bodies of the lead-capture API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from aioomi.domain.model.leads import (
    MAX_AFTER_MESSAGES,
    MAX_FIELDS,
    MAX_LABEL,
    MAX_OPTION,
    MAX_OPTIONS,
    MAX_TEXT,
    MAX_VALUE,
    FieldKind,
    Lead,
    LeadField,
    LeadForm,
    Trigger,
)

Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT * 2)]


class LeadFieldIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    """Lowercase letters, digits and `_` (the column name in the CSV export)."""
    kind: FieldKind
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LABEL * 2)]
    required: bool = False
    options: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=MAX_OPTION * 2)]], msgspec.Meta(max_length=MAX_OPTIONS * 2)
    ] = []
    """For `choice`: 2–20 options."""


class LeadFormIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The whole form (PUT replaces it)."""

    enabled: bool = False
    fields: Annotated[list[LeadFieldIn], msgspec.Meta(max_length=MAX_FIELDS * 2)] = []
    trigger: Trigger = Trigger.ON_REQUEST
    """`before_chat`, `after_messages` (the visitor's n-th message), `on_request` (a button), `on_fallback`
    (when the assistant has no answer)."""
    after_messages: Annotated[int, msgspec.Meta(ge=1, le=MAX_AFTER_MESSAGES)] = 3
    intro: Text = "Leave your details and we will get back to you."
    consent_text: Text = "I agree that my details are stored to answer my request."
    privacy_url: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    """Your privacy notice; the consent line links it. Required for an enabled form."""
    retention_months: Annotated[int, msgspec.Meta(ge=1, le=120)] = 24
    notify: bool = True
    """E-mail you each new lead."""

    def domain(self) -> LeadForm:
        return LeadForm(
            account_id="",
            agent_id="",
            enabled=self.enabled,
            trigger=self.trigger,
            after_messages=self.after_messages,
            intro=self.intro,
            consent_text=self.consent_text,
            privacy_url=self.privacy_url,
            retention_months=self.retention_months,
            notify=self.notify,
            fields=tuple(
                LeadField(key=f.key, kind=f.kind, label=f.label, required=f.required, options=tuple(f.options))
                for f in self.fields
            ),
        )


class LeadFieldOut(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    kind: str
    label: str
    required: bool
    options: list[str]


class LeadFormOut(msgspec.Struct, frozen=True, kw_only=True):
    agent_id: str
    enabled: bool
    fields: list[LeadFieldOut]
    trigger: str
    after_messages: int
    intro: str
    consent_text: str
    privacy_url: str | None
    retention_months: int
    notify: bool
    updated_at: datetime | None

    @classmethod
    def of(cls, form: LeadForm) -> LeadFormOut:
        return cls(
            agent_id=form.agent_id,
            enabled=form.enabled,
            trigger=str(form.trigger),
            after_messages=form.after_messages,
            intro=form.intro,
            consent_text=form.consent_text,
            privacy_url=form.privacy_url,
            retention_months=form.retention_months,
            notify=form.notify,
            updated_at=form.updated_at,
            fields=[
                LeadFieldOut(key=f.key, kind=str(f.kind), label=f.label, required=f.required, options=list(f.options))
                for f in form.fields
            ],
        )


class WidgetLeadFormOut(msgspec.Struct, frozen=True, kw_only=True):
    """What the widget needs to show the form (``form`` is ``null`` when the agent collects none)."""

    form: LeadFormOut | None


class LeadIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    values: Annotated[
        dict[Annotated[str, msgspec.Meta(max_length=40)], Annotated[str, msgspec.Meta(max_length=MAX_VALUE * 4)]],
        msgspec.Meta(max_length=MAX_FIELDS * 2),
    ]
    consent: bool = False
    session_id: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class LeadOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    agent_id: str
    conversation_id: str | None
    values: dict[str, str]
    consent_text: str
    privacy_url: str | None
    created_at: datetime

    @classmethod
    def of(cls, lead: Lead) -> LeadOut:
        return cls(
            id=lead.id,
            agent_id=lead.agent_id,
            conversation_id=lead.session_id,
            values=lead.values,
            consent_text=lead.consent_text,
            privacy_url=lead.privacy_url,
            created_at=lead.created_at,
        )


class LeadList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[LeadOut]
