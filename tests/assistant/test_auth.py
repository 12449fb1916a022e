"""The maintainers' password and the throttle of failed logins."""

from __future__ import annotations

import pytest

from assistant.auth import Throttle, admin_secret, password_matches


def test_admin_password_has_no_default_and_compares_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAPACITIES_ADMIN_PASSWORD", raising=False)
    assert admin_secret() == ""
    assert admin_secret({"admin_password": "depuis-secrets"}) == "depuis-secrets"
    monkeypatch.setenv("CAPACITIES_ADMIN_PASSWORD", "depuis-env")
    assert admin_secret({"admin_password": "depuis-secrets"}) == "depuis-env"
    assert password_matches("depuis-env", "depuis-env")
    assert not password_matches("depuis-en", "depuis-env")
    assert not password_matches("", "")  # no password set: nothing matches, not even an empty one


def test_failed_logins_slow_down_and_reset_on_success() -> None:
    t = Throttle(base=1.0, cap=5.0)
    assert t.delay() == 0.0
    delays = []
    for _ in range(5):
        t.failed()
        delays.append(t.delay())
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    t.succeeded()
    assert t.delay() == 0.0


def test_one_clients_failures_never_slow_another() -> None:
    """Issue 18, point 9: the throttle was global and held its lock while sleeping."""
    t = Throttle(base=1.0, cap=30.0)
    for _ in range(6):
        t.failed("10.0.0.66")
    assert t.delay("10.0.0.66") == 30.0 and t.delay("10.0.0.7") == 0.0
    t.succeeded("10.0.0.7")
    assert t.delay("10.0.0.66") == 30.0  # another client's success does not reset the attacker
