"""User accounts, roles and sign-in sessions."""

from accounts.model import AccountRole, User
from accounts.store import AccountError, AccountStore

__all__ = ["AccountError", "AccountRole", "AccountStore", "User"]
