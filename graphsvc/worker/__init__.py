"""The built-in worker: claims steps over the REST API like any external agent."""

from graphsvc.worker.client import ApiClient
from graphsvc.worker.executors import ExecutorConfig, StepFailed, execute
from graphsvc.worker.runner import Worker

__all__ = ["ApiClient", "ExecutorConfig", "StepFailed", "Worker", "execute"]
