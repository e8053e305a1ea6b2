"""The worker SDK: ``Worker`` with ``@worker.step(kind)`` handlers and a ``StepContext``;
the built-in worker is this SDK with the built-in executors registered."""

from graphsvc.worker.client import ApiClient, Client
from graphsvc.worker.context import ClaimedStep, StepContext
from graphsvc.worker.executors import ExecutorConfig, Spawn, StepFailed, execute
from graphsvc.worker.runner import Handler, Worker

__all__ = [
    "ApiClient",
    "ClaimedStep",
    "Client",
    "ExecutorConfig",
    "Handler",
    "Spawn",
    "StepContext",
    "StepFailed",
    "Worker",
    "execute",
]
