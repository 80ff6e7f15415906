"""The worker: runs queued jobs and periodic tasks."""
