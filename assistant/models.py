"""The only module that names model integrations: the embedder, the reranker hook, chat models.

Heavy libraries (torch, sentence_transformers) are imported inside functions so that
``capacities --help`` and the app's first paint stay instant.
"""

from __future__ import annotations

import json
import math
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from assistant.errors import CapacitiesError
from assistant.settings import Settings

DEFAULT_EMBEDDER = "embeddinggemma-300m"


class Embedder(Protocol):
    """Turns texts into unit vectors; documents and queries may use different prompts."""

    name: str
    dim: int

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class HashEmbedder:
    """Deterministic hashed bag of words (crc32): no model, for tests and quick demos only."""

    def __init__(self, dim: int = 256) -> None:
        self.name = f"hash-{dim}"
        self.dim = dim

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dim
        for tok in re.findall(r"\w+", text.lower()):
            v[zlib.crc32(tok.encode()) % self.dim] += 1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / norm for x in v]

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> list[list[float]]:
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


def cpu_has_fast_bf16() -> bool:
    """bfloat16 matrix products in hardware: AMX tiles (Intel) or AVX512-BF16 (Intel, AMD Zen 4+).

    Measured here on an AMD EPYC with avx512_bf16 (`python -m benchmarks.dtype`): 1.78x the
    float32 speed, cosine >= 0.9999 against float32. Without these units bfloat16 is emulated
    and slower than float32.
    """
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return False
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def choose_dtype(setting: str) -> str:
    if setting not in {"auto", "float32", "bfloat16"}:
        raise CapacitiesError(f"CAPACITIES_EMBED_DTYPE doit valoir auto, float32 ou bfloat16 (reçu : {setting}).")
    if setting != "auto":
        return setting
    return "bfloat16" if cpu_has_fast_bf16() else "float32"


def set_threads(n: int) -> None:
    import torch

    torch.set_num_threads(n if n > 0 else (os.cpu_count() or 1))


class SentenceTransformerEmbedder:
    """A sentence-transformers model, with its own query and document prompts when it has them."""

    def __init__(
        self, path_or_id: str, name: str, dtype: str = "float32", batch_size: int = 16, titles: bool = True
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch_dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
        try:
            self.model = SentenceTransformer(path_or_id, device="cpu", model_kwargs={"torch_dtype": torch_dtype})
        except OSError as e:
            raise CapacitiesError(
                f"Modèle d'embedding introuvable : {path_or_id}. Sans internet, indiquez un dossier local "
                f"(CAPACITIES_EMBED_MODEL) ou lancez `python -m assistant.fetch`. Détail : {e}"
            ) from None
        self.name = name
        self.dtype = dtype
        self.batch_size = batch_size
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        prompts = getattr(self.model, "prompts", {}) or {}
        # EmbeddingGemma ships "query" and "document" prompts; encode_query/encode_document use them.
        self._has_prompts = "query" in prompts and "document" in prompts
        # EmbeddingGemma's document prompt is "title: none | text: "; given the real title it places
        # a passage better. The vectors differ, so the name differs and an index is never mixed.
        self._titles = titles and "title: none" in prompts.get("document", "")
        if self._titles:
            self.name = f"{name}+titres"

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> list[list[float]]:
        encode, extra = (self.model.encode_document if self._has_prompts else self.model.encode), {}
        if self._titles and titles is not None:
            texts = [f"title: {t or 'none'} | text: {x}" for t, x in zip(titles, texts, strict=True)]
            encode, extra = self.model.encode, {"prompt": ""}  # the title format replaces the document prompt
        vecs = encode(texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, **extra)
        return vecs.astype("float32").tolist()

    def embed_query(self, text: str) -> list[float]:
        """One query, straight through the model: ~8 ms less than ``encode`` and its batching machinery."""
        import torch

        prompt = self.model.prompts.get("query", "") if self._has_prompts else ""
        prepare = getattr(self.model, "preprocess", None) or self.model.tokenize
        with torch.inference_mode():
            out = self.model.forward(prepare([prompt + text]))["sentence_embedding"]
            vec = torch.nn.functional.normalize(out.float(), dim=-1)[0]
        return vec.tolist()


def resolve_embedder_path(model: str) -> str:
    """The default name maps to the model assembled offline; anything else is passed through."""
    if model == DEFAULT_EMBEDDER and not Path(model).exists():
        from assistant.fetch import FetchError, fetch_embedder

        try:
            return str(fetch_embedder())
        except FetchError as e:
            raise CapacitiesError(str(e)) from None
    return model


def load_embedder(settings: Settings) -> Embedder:
    """Build the embedder named by the settings (``hash`` or ``hash-DIM`` selects the test embedder)."""
    if settings.embed_model.startswith("hash"):
        dim = settings.embed_model.partition("-")[2]
        return HashEmbedder(int(dim) if dim else 256)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    set_threads(settings.threads)
    path = resolve_embedder_path(settings.embed_model)
    return SentenceTransformerEmbedder(
        path, settings.embed_model, choose_dtype(settings.embed_dtype), settings.embed_batch_size, settings.embed_titles
    )


# --------------------------------------------------------------------------- chat models


class ChatModel(Protocol):
    """Streams the text of a chat completion."""

    backend: str

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]: ...


class OpenAICompatibleChat:
    """Any OpenAI-compatible server (Albert API, vLLM, Ollama, llama.cpp server), streamed over SSE."""

    backend = "openai"

    def __init__(self, base_url: str, model: str, api_key: str = "", temperature: float = 0.1, max_tokens: int = 700):
        if not base_url or not model:
            raise CapacitiesError(
                "Moteur « openai » : renseignez CAPACITIES_LLM_BASE_URL et CAPACITIES_LLM_MODEL "
                "(et CAPACITIES_LLM_API_KEY si le serveur en demande une)."
            )
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key = model, api_key
        self.temperature, self.max_tokens = temperature, max_tokens

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        try:
            with httpx.stream("POST", self.url, json=body, headers=headers, timeout=120) as r:
                if r.status_code != 200:
                    r.read()
                    shown = r.text.replace(self.api_key, "***") if self.api_key else r.text  # some servers echo it
                    raise CapacitiesError(f"Le serveur de modèle a répondu {r.status_code} : {shown[:300]}")
                for line in r.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    choices = json.loads(data).get("choices") or [{}]
                    piece = (choices[0].get("delta") or {}).get("content")
                    if piece:
                        yield piece
        except httpx.HTTPError as e:
            raise CapacitiesError(f"Serveur de modèle injoignable ({self.url}) : {e}") from None


class LocalLlamaChat:
    """A GGUF model run in process by llama-cpp-python (optional extra: pip install .[llm])."""

    backend = "local"

    def __init__(self, model_path: str, threads: int = 0, temperature: float = 0.1, max_tokens: int = 700):
        try:
            import llama_cpp
        except ImportError:
            raise CapacitiesError(
                "Moteur « local » : installez l'extra avec `pip install .[llm]` (voir le README pour les options de "
                "compilation sur processeur AMX)."
            ) from None
        params = {
            "model_path": model_path,
            "n_ctx": 4096,
            "n_threads": threads or os.cpu_count() or 1,
            "verbose": False,
        }
        try:
            # the extra weight buffers crash at the first token on CPUs with AMX (llama-cpp-python 0.3.x)
            self.llm = llama_cpp.Llama(**params, use_extra_bufts=False)
        except TypeError:
            self.llm = llama_cpp.Llama(**params)
        self.temperature, self.max_tokens = temperature, max_tokens

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        out = self.llm.create_chat_completion(
            messages=messages, stream=True, temperature=self.temperature, max_tokens=self.max_tokens
        )
        for part in out:
            piece = part["choices"][0].get("delta", {}).get("content")
            if piece:
                yield piece


def load_chat_model(settings: Settings, backend: str) -> ChatModel:
    if backend == "openai":
        return OpenAICompatibleChat(
            settings.llm_base_url,
            settings.llm_model,
            settings.llm_api_key,
            settings.llm_temperature,
            settings.llm_max_tokens,
        )
    if backend == "local":
        path = settings.local_model
        if not Path(path).is_file():
            from assistant.fetch import FetchError, fetch_gguf

            try:
                path = str(fetch_gguf(path))
            except FetchError as e:
                raise CapacitiesError(str(e)) from None
        return LocalLlamaChat(path, settings.threads, settings.llm_temperature, settings.llm_max_tokens)
    raise CapacitiesError(f"Pas de modèle de conversation pour le moteur « {backend} ».")
