"""The privacy jobs: exports, retention sweeps, account purges, policy-change notices; and the
Prometheus metrics of the sweeps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prometheus_client import Counter, Gauge

from aioomi.container import AppContainer
from aioomi.domain.usecases.privacy.policy_versions_support import SEND_POLICY_NOTICES
from aioomi.domain.usecases.privacy.prepare_month_partitions import PREPARE_MONTH_PARTITIONS
from aioomi.domain.usecases.privacy.request_export import BUILD_EXPORT, BuildExportPayload
from aioomi.domain.usecases.privacy.retention_support import (
    DELETE_STRIPE_CUSTOMER,
    PURGE_DELETED_ACCOUNTS,
    RUN_RETENTION_SWEEPS,
    DeleteStripeCustomerPayload,
)
from aioomi.domain.usecases.workspaces.delete_workspace import PURGE_WORKSPACE, PurgeWorkspacePayload
from aioomi.entrypoints.worker.runner import JobHandler, PeriodicTask, decoded

ROWS_REMOVED = Counter("aioomi_retention_removed", "Rows (or files) removed by retention sweeps", ["kind"])
LAST_RUN = Gauge("aioomi_retention_last_run_timestamp_seconds", "When each retention sweep last ran", ["kind"])


def observe(summary: dict[str, int], at: float) -> None:
    for kind, removed in summary.items():
        ROWS_REMOVED.labels(kind=kind).inc(removed)
        LAST_RUN.labels(kind=kind).set(at)


def handlers(container: AppContainer) -> dict[str, JobHandler]:
    async def build_export(job: BuildExportPayload) -> object:
        return await container.build_export()(job.account_id, job.export_id)

    async def retention_sweeps(_: dict[str, Any]) -> object:
        summary = await container.retention_sweeps()()
        observe(summary, container.clock().now().timestamp())
        return summary

    async def purge_deleted_accounts(_: dict[str, Any]) -> object:
        purged = await container.purge_deleted_accounts()()
        if purged is not None:
            observe({"deleted_accounts": purged}, container.clock().now().timestamp())
        return {"purged": purged}

    async def delete_stripe_customer(job: DeleteStripeCustomerPayload) -> object:
        return await container.delete_stripe_customer()(job.subscription_id, job.customer_id)

    async def prepare_month_partitions(_: dict[str, Any]) -> object:
        return {"created": await container.prepare_month_partitions()()}

    async def purge_workspace(job: PurgeWorkspacePayload) -> object:
        return await container.purge_workspace()(job.workspace_id)

    async def send_policy_notices(_: dict[str, Any]) -> object:
        return {"sent": await container.send_policy_notices()()}

    return {
        BUILD_EXPORT: decoded(BuildExportPayload, build_export),
        RUN_RETENTION_SWEEPS: retention_sweeps,
        PURGE_DELETED_ACCOUNTS: purge_deleted_accounts,
        SEND_POLICY_NOTICES: send_policy_notices,
        PREPARE_MONTH_PARTITIONS: prepare_month_partitions,
        DELETE_STRIPE_CUSTOMER: decoded(DeleteStripeCustomerPayload, delete_stripe_customer),
        PURGE_WORKSPACE: decoded(PurgeWorkspacePayload, purge_workspace),
    }


PERIODIC = (
    PeriodicTask(kind=RUN_RETENTION_SWEEPS, every=timedelta(hours=1)),
    PeriodicTask(kind=PURGE_DELETED_ACCOUNTS, every=timedelta(hours=1)),
    PeriodicTask(kind=SEND_POLICY_NOTICES, every=timedelta(hours=1)),
    PeriodicTask(kind=PREPARE_MONTH_PARTITIONS, every=timedelta(hours=6)),
)
