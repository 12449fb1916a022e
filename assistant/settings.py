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
    # --- where things are (the comment after each setting is its help, in French: `capacities settings`)
    corpus_dir: Path = PROJECT_ROOT / "corpus"  # dossier des livrables (PDF, Markdown, texte)
    data_dir: Path = PROJECT_ROOT / "data"  # index, manifeste et rapports (hors du dépôt git)
    chroma_url: str = ""  # serveur Chroma (http://127.0.0.1:8000 ; alias CAPACITIES_CHROMA_HOST) ; vide = embarqué
    collection: str = "capacities"  # nom de la collection Chroma
    app_ingest: str = "auto"  # l'appli indexe corpus/ et prend des dépôts : auto (sauf serveur Chroma), yes, no
    # --- embedding
    embed_model: str = EMBEDDER_NAME  # chemin ou nom sentence-transformers ; le défaut est assemblé hors ligne
    embed_dtype: str = "auto"  # auto (bfloat16 si le processeur a AMX ou AVX512-BF16, sinon float32), float32, bfloat16
    embed_batch_size: int = 16  # passages par lot d'embeddings
    embed_titles: bool = True  # donner au modèle le titre et la section de chaque passage (format EmbeddingGemma)
    threads: int = 0  # fils de calcul (torch, modèle local) ; 0 = tous les cœurs
    # --- ingestion
    chunk_size: int = 1000  # longueur visée d'un passage, en caractères
    chunk_overlap: int = 150  # caractères communs à deux passages consécutifs
    chunk_within_pages: bool = True  # un passage ne franchit pas un saut de page (la citation nomme la bonne page)
    pdf_extractor: str = "pypdf"  # lecteur du texte des PDF : pypdf ou pdfium (l'autre relit les pages abîmées)
    ocr: bool = True  # OCR des pages dont la couche texte est illisible (tesseract-ocr et tesseract-ocr-fra)
    max_doc_pages: int = 2_000  # un PDF de plus de pages est refusé avant d'être lu
    max_doc_chars: int = 3_000_000  # un document plus long est refusé (environ 1 500 pages de texte)
    max_doc_passages: int = 5_000  # un document découpé en plus de passages est refusé (des heures d'embeddings)
    screen_meaning: bool = True  # ingestion : le modèle d'embedding juge les phrases qui pourraient s'adresser à une IA
    # --- retrieval
    top_k: int = 6  # passages donnés à la réponse
    candidates: int = 30  # candidats pris à chaque recherche avant la fusion
    rrf_k: int = 60  # constante de la fusion des rangs (RRF)
    dense_weight: float = 1.0  # poids du classement dense (embeddings) dans la fusion
    bm25_weight: float = 0.25  # poids du classement BM25 (mots) dans la fusion (voir evals/reports)
    prefix_weight: float = 0.5  # poids du classement BM25 sur les débuts de mots (écoconcevoir ~ écoconception)
    rescore: bool = True  # second tri : les meilleurs candidats notés à nouveau par leur cosinus et leur page
    hub_weight: float = 1.0  # second tri : poids ôté à un passage proche de tout le corpus (page d'ensemble)
    page_weight: float = 0.8  # second tri : poids du cosinus de la page entière du passage avec la question
    query_expansion: bool = True  # un mot inconnu reçoit le mot du corpus de sa famille, un sigle son sens
    max_per_page: int = 2  # au plus ce nombre de passages d'une même page
    reranker: str = ""  # chemin ou nom d'un CrossEncoder sentence-transformers ; vide = pas de reclassement
    min_dense_score: float = 0.37  # meilleur cosinus en dessous : question non couverte (python -m evals.abstention)
    # --- answers
    backend: str = "extractive"  # extractive (défaut, hors ligne), openai ou local
    mode: str = "agent"  # agent (étapes numérotées) ou elu (résumé en langage clair)
    semantic_units: bool = True  # extractif : classer aussi les éléments par leur sens (vecteurs de l'ingestion)
    llm_base_url: str = ""  # serveur compatible OpenAI (API Albert, vLLM, Ollama…), p. ex. http://localhost:8000/v1
    llm_model: str = ""  # nom du modèle sur ce serveur
    llm_api_key: str = field(default="", repr=False)  # clé d'API de ce serveur (jamais journalisée ni affichée)
    local_model: str = "qwen2.5-coder-1.5b"  # fichier GGUF, ou qwen2.5-coder-1.5b / -0.5b (assemblés depuis PyPI)
    local_max_passages: int = 2  # passages que lit le modèle local (premier mot : 4,8 s avec 2, 12,2 s avec 6)
    llm_temperature: float = 0.1  # température d'échantillonnage des moteurs génératifs
    llm_max_tokens: int = 700  # longueur maximale d'une réponse générée (jetons)
    max_question_chars: int = 2000  # une question plus longue est refusée avec un message clair
    # --- the service as published
    feedback_retention_days: int = 365  # avis, lacunes et signalements plus anciens supprimés (purge-feedback)
    contact: str = ""  # adresse des demandes d'accessibilité et de données personnelles, affichée sur ces pages

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
