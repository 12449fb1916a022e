"""Every setting in one place: name, default, environment variable and a one-line help.

Settings are declared once, as the fields of the ``Settings`` dataclass with a one-line comment each;
``from_env()``, the README table and ``capacities settings`` are derived from those fields and
comments (``describe``; a test checks the README).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from assistant.errors import CapacitiesError
from assistant.fetch import EMBEDDER_NAME

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    # --- where things are
    corpus_dir: Path = PROJECT_ROOT / "corpus"  # folder of deliverables (PDF, Markdown, text)
    data_dir: Path = PROJECT_ROOT / "data"  # indexes, manifest and reports (git-ignored)
    chroma_url: str = ""  # Chroma server, e.g. http://127.0.0.1:8000 (alias CAPACITIES_CHROMA_HOST); empty = embedded
    collection: str = "capacities"  # Chroma collection name
    app_ingest: str = "auto"  # app indexes corpus/ and takes uploads: auto (not with a Chroma server), yes, no
    # --- embedding
    embed_model: str = EMBEDDER_NAME  # sentence-transformers path or id; the default is assembled offline
    embed_dtype: str = "auto"  # auto (bfloat16 if the CPU has AMX or AVX512-BF16, else float32), float32, bfloat16
    embed_batch_size: int = 16  # chunks per embedding batch
    embed_titles: bool = True  # give the model each passage's document title and section (EmbeddingGemma format)
    threads: int = 0  # torch CPU threads; 0 = all cores
    # --- ingestion
    chunk_size: int = 1000  # target chunk length in characters
    chunk_overlap: int = 150  # characters shared by consecutive chunks
    chunk_within_pages: bool = True  # chunks never cross a page break (citations name the right page)
    ocr: bool = True  # OCR pages whose text layer is garbage (needs tesseract-ocr + tesseract-ocr-fra)
    max_doc_pages: int = 2_000  # a PDF with more pages is refused before it is read
    max_doc_chars: int = 3_000_000  # a longer document is refused (about 1,500 pages of text)
    max_doc_passages: int = 5_000  # a document cut into more passages is refused (hours of embedding)
    screen_meaning: bool = True  # ingestion: the embedding model judges sentences that may speak to an AI
    # --- retrieval
    top_k: int = 6  # passages given to the answer
    candidates: int = 30  # candidates taken from each retriever before fusion
    rrf_k: int = 60  # reciprocal rank fusion constant
    dense_weight: float = 1.0  # weight of the dense (embedding) ranking in the fusion
    bm25_weight: float = 0.25  # weight of the BM25 (lexical) ranking in the fusion (see evals/reports)
    prefix_weight: float = 0.5  # weight of the BM25 ranking on word beginnings (écoconcevoir ~ écoconception)
    rescore: bool = True  # second stage: the best candidates re-scored with their cosine and their page
    query_expansion: bool = True  # unknown words get the corpus word of their family, acronyms their meaning
    max_per_page: int = 2  # at most this many passages from the same page
    reranker: str = ""  # sentence-transformers CrossEncoder path or id; empty = no reranking
    min_dense_score: float = 0.37  # best cosine below this: not covered (python -m evals.abstention)
    # --- answers
    backend: str = "extractive"  # extractive (default, offline), openai or local
    mode: str = "agent"  # agent (numbered steps) or elu (plain-language summary)
    semantic_units: bool = True  # extractive: rank answer units by meaning too (block vectors stored at ingestion)
    llm_base_url: str = ""  # OpenAI-compatible server (Albert API, vLLM, Ollama…), e.g. http://localhost:8000/v1
    llm_model: str = ""  # model name on that server
    llm_api_key: str = field(default="", repr=False)  # API key for that server (never logged nor shown)
    local_model: str = "qwen2.5-coder-1.5b"  # GGUF file, or qwen2.5-coder-1.5b / -0.5b (assembled from PyPI)
    local_max_passages: int = 2  # passages the local model reads (first token: 4.8 s with 2, 12.2 s with 6)
    llm_temperature: float = 0.1  # sampling temperature of the LLM backends
    llm_max_tokens: int = 700  # maximum length of a generated answer
    max_question_chars: int = 2000  # longer questions are refused with a clear message
    # --- the service as published
    feedback_retention_days: int = 365  # ratings, comments, gaps and flags older than this are deleted (purge-feedback)
    contact: str = ""  # address for accessibility and personal-data requests, shown on those pages

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``CAPACITIES_<NAME>`` variables, then apply explicit overrides (e.g. CLI flags)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(env_name(f.name))
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        for old, new in ALIASES.items():  # settings renamed since: the old variable still works
            if new not in values and env.get(old):
                values[new] = env[old]
        s = cls(**values)
        return replace(s, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def bm25_dir(self) -> Path:
        return self.data_dir / "bm25"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.json"

    @property
    def glossary_path(self) -> Path:
        """The corpus's acronyms and their meanings, written by ingestion."""
        return self.data_dir / "glossary.json"

    @property
    def report_path(self) -> Path:
        """What the last ingestion did."""
        return self.data_dir / "ingest_report.json"

    @property
    def feedback_path(self) -> Path:
        return self.data_dir / "feedback.sqlite"

    @property
    def parcours_path(self) -> Path:
        """The project stages and their guiding questions, edited by maintainers beside the deliverables."""
        return self.corpus_dir / "parcours.toml"

    @property
    def roadmaps_path(self) -> Path:
        """The guiding questions answered on the published snapshot (and the last valid parcours)."""
        return self.data_dir / "parcours.json"

    @property
    def lock_path(self) -> Path:
        """Held by an ingestion, a backup or a restore (one at a time per data folder)."""
        return self.data_dir / ".ingest.lock"

    @property
    def eval_cache_dir(self) -> Path:
        """Embeddings of evaluation questions and contexts, kept between runs."""
        return self.data_dir / "eval_cache"

    @property
    def naive_dir(self) -> Path:
        """The naive LangChain baseline's indexes, one per corpus and model."""
        return self.data_dir / "naive"

    @property
    def gaps_path(self) -> Path:
        """Questions the corpus could not answer, and readers' flags on passages (no personal data)."""
        return self.data_dir / "gaps.sqlite"

    @property
    def trash_dir(self) -> Path:
        """Deliverables removed or replaced from the app, kept rather than destroyed."""
        return self.data_dir / "trash"


ALIASES = {"CAPACITIES_CHROMA_HOST": "chroma_url"}  # old environment variable -> setting


def env_name(field_name: str) -> str:
    return "CAPACITIES_" + field_name.upper()


def _parse(name: str, typ: object, raw: str) -> object:
    typ = typ if isinstance(typ, str) else getattr(typ, "__name__", str(typ))
    try:
        if typ == "Path":
            return Path(raw).expanduser()
        if typ == "int":
            return int(raw)
        if typ == "float":
            return float(raw)
        if typ == "bool":
            if raw.lower() in {"1", "true", "yes", "oui", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "non", "off"}:
                return False
            raise ValueError(raw)
    except ValueError:
        raise CapacitiesError(f"Valeur invalide pour {env_name(name)} : {raw!r} (attendu : {typ}).") from None
    return raw


def describe() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, from the comments above."""
    import inspect

    src = inspect.getsource(Settings)
    helps: dict[str, str] = {}
    for line in src.splitlines():
        line = line.strip()
        if ":" in line and "#" in line and not line.startswith("#"):
            name = line.split(":", 1)[0].strip()
            helps[name] = line.split("#", 1)[1].strip()
    out = []
    for f in fields(Settings):
        default = f.default
        if isinstance(default, Path):
            default = os.path.relpath(default, PROJECT_ROOT) if default.is_relative_to(PROJECT_ROOT) else str(default)
        out.append((env_name(f.name), str(default), helps.get(f.name, "")))
    return out
