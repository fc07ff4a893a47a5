"""Fixtures of the security tests: the signaling tests' ``people`` (closed after each test)."""

from tests.signaling.conftest import people

__all__ = ["people"]
