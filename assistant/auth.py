"""The maintainers' password (from the environment or Streamlit's secrets, never a default), compared in
constant time, and a per-client throttle of failed logins."""

from __future__ import annotations

import hashlib
import hmac
import os
import threading


def admin_secret(secrets: object | None = None) -> str:
    """The maintainer's password: CAPACITIES_ADMIN_PASSWORD, else Streamlit secrets' admin_password. No default."""
    value = os.environ.get("CAPACITIES_ADMIN_PASSWORD", "")
    if not value and secrets is not None:
        try:
            value = str(secrets.get("admin_password", "") or "")  # type: ignore[attr-defined]
        except Exception:  # no secrets.toml: Streamlit raises when it is read
            value = ""
    return value


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison (of digests, so the length of the secret does not leak either)."""
    if not expected:
        return False
    a = hashlib.sha256(given.encode("utf-8")).digest()
    b = hashlib.sha256(expected.encode("utf-8")).digest()
    return hmac.compare_digest(a, b)


class Throttle:
    """Failed logins slow down, per client: after n failures the client's next attempt waits
    base * 2**(n-1) seconds (capped). The lock guards the counts only: nobody waits for another
    client's delay, so an attacker slows himself, not every maintainer."""

    def __init__(self, base: float = 1.0, cap: float = 30.0) -> None:
        self.base, self.cap = base, cap
        self.failures: dict[str, int] = {}
        self.lock = threading.Lock()

    def delay(self, client: str = "") -> float:
        with self.lock:
            n = self.failures.get(client, 0)
        return 0.0 if n == 0 else min(self.cap, self.base * 2 ** (n - 1))

    def failed(self, client: str = "") -> None:
        with self.lock:
            self.failures[client] = self.failures.get(client, 0) + 1

    def succeeded(self, client: str = "") -> None:
        with self.lock:
            self.failures.pop(client, None)
