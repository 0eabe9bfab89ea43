"""LOBBY_NOTIFY: none by default; each adapter refuses to start without its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lobby.config import from_environment


def test_no_adapter_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LOBBY_NOTIFY", raising=False)
    settings = from_environment(str(tmp_path))
    assert settings["LOBBY_NOTIFY_ADAPTERS"] == () and settings["LOBBY_NOTIFY_NEAR"] == 3


@pytest.mark.parametrize(
    ("chosen", "missing"),
    [
        ("gateway", "LOBBY_NOTIFY_GATEWAY_URL"),
        ("webpush", "LOBBY_VAPID_PRIVATE_KEY"),
        ("sms", "LOBBY_NOTIFY: none, webpush, gateway"),
    ],
)
def test_an_adapter_without_its_key_stops_the_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, chosen: str, missing: str
) -> None:
    monkeypatch.setenv("LOBBY_NOTIFY", chosen)
    with pytest.raises(RuntimeError, match=missing):
        from_environment(str(tmp_path))


def test_both_adapters_with_their_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOBBY_NOTIFY", "webpush, gateway")
    monkeypatch.setenv("LOBBY_NOTIFY_GATEWAY_URL", "https://sms.example/send")
    monkeypatch.setenv("LOBBY_VAPID_PRIVATE_KEY", "k")
    monkeypatch.setenv("LOBBY_NOTIFY_NEAR", "5")
    settings = from_environment(str(tmp_path))
    assert settings["LOBBY_NOTIFY_ADAPTERS"] == ("webpush", "gateway")
    assert settings["LOBBY_NOTIFY_NEAR"] == 5
