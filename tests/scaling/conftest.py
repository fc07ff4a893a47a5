"""Fixtures of the scale-out tests."""

from tests.scaling.redis_server import redis_url

__all__ = ["redis_url"]
