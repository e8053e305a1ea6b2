"""The local key and the Neo4j password file, without Neo4j: private, trusted only when
private, and sent only to an API on this machine."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from graphsvc import LocalDbError
from graphsvc.localkey import local_key, read_local_key, secret_file
from graphsvc.settings import Settings
from graphsvc.worker import ApiClient


def test_the_key_is_generated_once_private_in_a_private_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = local_key(data)
    assert local_key(data) == key == read_local_key(data)
    assert stat.S_IMODE((data / "api-key").stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


@pytest.mark.parametrize(("mode", "text"), [(0o644, "key\n"), (0o600, "\n")])
def test_a_key_file_others_may_read_or_an_empty_one_is_refused(
    tmp_path: Path, mode: int, text: str
) -> None:
    path = tmp_path / "api-key"
    path.write_text(text)
    path.chmod(mode)
    with pytest.raises(LocalDbError):
        secret_file(path)


def test_the_local_key_goes_to_this_machine_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPHSVC_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GRAPHSVC_API_KEY", raising=False)
    key = local_key(Settings().data_dir)
    here = ApiClient("http://127.0.0.1:8765")
    there = ApiClient("https://api.example.com")
    assert here.http.headers["Authorization"] == f"Bearer {key}"
    assert "Authorization" not in there.http.headers
    monkeypatch.setenv("GRAPHSVC_API_KEY", "explicit")
    assert ApiClient("https://api.example.com").http.headers["Authorization"] == "Bearer explicit"
