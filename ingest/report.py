"""What an ingestion run did: printed at its end (in French), written to ``Settings.report_path``,
shown on the admin page."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.files import write_json_atomic
from assistant.settings import Settings


@dataclass
class IngestReport:
    """What a run did; printed at the end and written to ``Settings.report_path``."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # source -> French message
    documents: dict[str, dict] = field(default_factory=dict)  # source -> pages, chunks, warnings, stats
    pages: int = 0
    chunks: int = 0
    embedded: int = 0  # chunks actually embedded (the others were already in the store)
    seconds: dict[str, float] = field(default_factory=lambda: {"load": 0.0, "split": 0.0, "embed": 0.0, "store": 0.0})
    interrupted: bool = False
    model_loaded: bool = False
    glossary_refused: list[str] = field(default_factory=list)  # acronyms whose definition speaks to an AI
    parcours_changed: list[str] = field(default_factory=list)  # stages of the parcours whose answers changed
    parcours_warning: str = ""  # why the parcours file could not be used (French; the last valid one kept)
    gaps_covered: list[str] = field(default_factory=list)  # per recorded gap now answered: its covering document
    embed_rates: dict[str, float] = field(default_factory=dict)  # model -> passages/s measured here (carried over)
    estimate: str = ""  # what was announced before embedding (French), when the run was long

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def to_json(self) -> dict:
        return asdict(self) | {"ok": self.ok}

    def summary(self) -> str:
        lines = [
            f"Documents : {len(self.added)} ajouté(s), {len(self.updated)} mis à jour, "
            f"{len(self.removed)} supprimé(s), {len(self.unchanged)} inchangé(s), {len(self.failed)} en échec.",
            f"Traités dans ce passage : {self.pages} page(s), {self.chunks} passage(s), "
            f"dont {self.embedded} calculé(s) par le modèle (les autres étaient déjà indexés).",
        ]
        for src, info in sorted(self.documents.items()):
            st = info.get("stats", {})
            extra = []
            if "long_token_ratio_before" in st:
                b, a = st["long_token_ratio_before"], st.get("long_token_ratio_after", st["long_token_ratio_before"])
                if b >= 0.02 or a >= 0.02:
                    extra.append(f"mots collés {b:.1%} → {a:.1%}")
            if st.get("pages_ocr"):
                extra.append(f"{int(st['pages_ocr'])} page(s) OCR")
            if st.get("pages_skipped"):
                extra.append(f"{int(st['pages_skipped'])} page(s) ignorée(s)")
            lines.append(
                f"  {src} : {info['pages']} p., {info['chunks']} passage{'s' if info['chunks'] > 1 else ''}"
                + (f" ({', '.join(extra)})" if extra else "")
            )
            lines += [f"    ⚠ {w}" for w in info.get("warnings", [])]
        if self.glossary_refused:
            refused = ", ".join(self.glossary_refused)
            lines.append(f"  ⚠ glossaire : sigle(s) écarté(s), leur définition s'adresse à une IA : {refused}.")
        if self.parcours_changed:
            lines.append(f"  Parcours projet : réponses recalculées pour {', '.join(self.parcours_changed)}.")
        if self.gaps_covered:
            by = ", ".join(f"{src} ({n})" for src, n in sorted(Counter(self.gaps_covered).items()))
            lines.append(f"  Lacunes : {len(self.gaps_covered)} question(s) sans réponse désormais couverte(s) : {by}.")
        if self.parcours_warning:
            lines.append(f"  ⚠ {self.parcours_warning}")
        for src, msg in sorted(self.failed.items()):
            lines.append(f"  ✗ {msg}" if msg.startswith(src) else f"  ✗ {src} : {msg}")
        if self.interrupted:
            lines.append(
                "Interrompu : l'index précédent reste utilisable ; relancez `capacities ingest` pour terminer."
            )
        t = self.seconds
        lines.append(
            f"Temps : lecture+nettoyage {t['load']:.1f} s, découpage {t['split']:.1f} s, "
            f"embeddings {t['embed']:.1f} s, stockage {t['store']:.1f} s."
        )
        return "\n".join(lines)


DEFAULT_RATE = 2.9  # passages/s: `capacities bench ingest`, EmbeddingGemma in float32 on 2 cores (README)
MIN_MEASURED = 32  # passages a run must embed for its rate to be kept
LONG_RUN_S = 10.0  # estimated seconds from which the estimate is announced


def previous_rates(settings: Settings) -> dict[str, float]:
    """The embedding rates measured by earlier runs on this data folder (model -> passages/s)."""
    from assistant.files import read_json

    data = read_json(settings.report_path, {})
    rates = data.get("embed_rates", {}) if isinstance(data, dict) else {}
    return {k: float(v) for k, v in rates.items() if isinstance(v, (int, float)) and v > 0}


def estimate_line(passages: int, documents: int, rate: float | None) -> str:
    """The French line announcing a long embedding run, from the rate measured here or the benchmark's."""
    seconds = passages / (rate or DEFAULT_RATE)
    if seconds < LONG_RUN_S:
        return ""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    took = f"{hours} h {minutes:02d} min" if hours else (f"{minutes} min {secs:02d} s" if minutes else f"{secs} s")
    how = (
        f"débit mesuré ici à la dernière ingestion : {rate:.1f} passages/s".replace(".", ",")
        if rate
        else f"débit de référence sur 2 cœurs : {DEFAULT_RATE:.1f} passages/s".replace(".", ",")
    )
    n = f"{passages:,}".replace(",", "\u202f")
    return f"À calculer : {n} passages de {documents} document(s), environ {took} ({how})."


def save_report(settings: Settings, report: IngestReport) -> Path:
    write_json_atomic(settings.report_path, report.to_json())
    return settings.report_path
