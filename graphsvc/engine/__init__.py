"""Background engine work of the API process: the lease sweeper."""

from graphsvc.engine.sweeper import Sweeper

__all__ = ["Sweeper"]
