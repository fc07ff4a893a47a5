"""User accounts, roles and sign-in sessions."""

from accounts.model import Role, User
from accounts.store import AccountError, AccountStore

__all__ = ["AccountError", "AccountStore", "Role", "User"]
