"""The page as a French local authority may publish it (RGAA 4.1): the page's language, French for the
interface words Streamlit writes in English, contrast and focus, and answers announced to screen readers.

Streamlit has no setting for its own words nor for the page's ``lang``. The documented way to run a
script in the page is ``st.html(..., unsafe_allow_javascript=True)`` (Streamlit 1.50 and later); the
script below sets ``lang="fr"`` and translates, as they appear, the texts and the ``aria-label``,
``title`` and ``placeholder`` attributes listed in ``EXACT`` and ``PATTERNS``. The same lists are what
the browser test looks for (``tests/app_pages/test_browser.py``): an English word seen or announced
there and missing here fails it.
"""

from __future__ import annotations

import json

# Streamlit's English words -> French, as a screen reader or a reader sees them
EXACT = {
    "Select all": "Tout sélectionner",
    "Skip to main content": "Aller au contenu principal",
    "Upload": "Déposer un fichier",
    "Browse files": "Parcourir",
    "Drag and drop file here": "Glissez-déposez un fichier ici",
    "Drag and drop files here": "Glissez-déposez des fichiers ici",
    "App pages": "Pages de l'application",
    "Chat message from assistant": "Réponse de l'assistant",
    "Chat message from user": "Votre question",
    "Collapse sidebar": "Replier le panneau latéral",
    "Expand sidebar": "Déplier le panneau latéral",
    "Sidebar": "Panneau latéral",
    "Dismiss": "Fermer",
    "Close": "Fermer",
    "Open": "Ouvrir",
    "Remove": "Retirer",
    "Selected values": "Documents choisis",
    "Clear all": "Tout effacer",
    "No results": "Aucun résultat",
    "Search": "Rechercher",
    "Send message": "Envoyer la question",
    "Show password": "Afficher le mot de passe",
    "Hide password": "Masquer le mot de passe",
    "Download as CSV": "Télécharger en CSV",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Fullscreen": "Plein écran",
    "Exit fullscreen": "Quitter le plein écran",
    "Link to heading": "Lien vers ce titre",
    "Copy to clipboard": "Copier",
    "Feedback rating": "Votre avis sur la réponse",
    "Thumbs up": "Réponse utile",
    "Thumbs down": "Réponse pas utile",
    "file upload": "dépôt de fichier",
    "Choose an option": "Choisissez une option",
    "Running...": "Calcul en cours…",
    "Stop": "Arrêter",
}
# (JavaScript regular expression, replacement) for the words that carry a number or a name
PATTERNS = [
    (r"^(\d+) options? available\.?$", "$1 option(s) disponible(s)."),
    (r"^Select (\d+) matches$", "Sélectionner les $1 résultats"),
    (r"^(?:Limit )?(\d+) ?MB per file$", "$1 Mo au plus par fichier"),
    (r"^(.+) files? (?:are|is) not allowed\.?$", "Fichier(s) $1 refusé(s) : formats acceptés PDF, Markdown, texte."),
    (r"^Help for (.+)$", "Aide : $1"),
    (r"^Remove (.+)$", "Retirer $1"),
    (r"^Press (?:Ctrl|⌘|Cmd)\+Enter to apply$", "Ctrl+Entrée pour valider"),
    (r"^Press Enter to apply$", "Entrée pour valider"),
]
ENGLISH = [*EXACT, "options available", "MB per file", "not allowed", "Help for", "to apply", "Select ", "Remove "]

# contrast of at least 4.5:1 on white for captions and quotes (Streamlit's grey is 3.9:1), and a
# visible focus on every link and control, the sidebar's page links included
STYLE = """
<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stMarkdownContainer"] blockquote, [data-testid="stMarkdownContainer"] blockquote p,
[data-testid="stWidgetLabel"] small, [data-testid="stFileUploaderDropzoneInstructions"] small {
  color: #4a4d57 !important; opacity: 1 !important;
}
a:focus-visible, button:focus-visible, [role="button"]:focus-visible, [role="tab"]:focus-visible,
summary:focus-visible, textarea:focus-visible, [data-testid="stSidebarNav"] a:focus {
  outline: 3px solid #1f4e9c !important; outline-offset: 2px !important;
}
/* a toggle's track is outlined, so that it shows when off (non-text contrast of at least 3:1) */
[data-testid="stCheckbox"] div:has(> div:only-child:empty) {
  box-shadow: inset 0 0 0 2px #4a4d57 !important;
}
/* a chosen document is named whole, over several lines if need be (not "Guide pratique pou…") */
[data-testid="stMultiSelectTagsContainer"] [data-tag] { max-width: 100% !important; height: auto !important; }
[data-testid="stMultiSelectTagsContainer"] [data-tag] > span {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  max-width: none !important;
}
</style>
"""

_SCRIPT = """
<script>
(() => {
  const doc = document;
  doc.documentElement.lang = "fr";
  if (window.__capacitiesInterface) return;
  window.__capacitiesInterface = true;
  const exact = %(exact)s;
  const patterns = %(patterns)s.map(([re, rep]) => [new RegExp(re), rep]);
  const ATTRS = ["aria-label", "title", "placeholder", "aria-placeholder", "aria-roledescription"];
  const french = (value) => {
    const t = value.trim();
    if (!t) return null;
    if (Object.prototype.hasOwnProperty.call(exact, t)) return value.replace(t, exact[t]);
    for (const [re, rep] of patterns) if (re.test(t)) return value.replace(t, t.replace(re, rep));
    return null;
  };
  const fixText = (n) => {
    const f = french(n.nodeValue);
    if (f !== null && f !== n.nodeValue) n.nodeValue = f;
  };
  const fixAttributes = (el) => {
    for (const a of ATTRS) {
      const v = el.getAttribute(a);
      const f = v && french(v);
      if (f && f !== v) el.setAttribute(a, f);
    }
  };
  const fix = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return fixText(node);
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    fixAttributes(node);
    const walker = doc.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const n = walker.currentNode;
      if (n.nodeType === Node.TEXT_NODE) fixText(n);
      else fixAttributes(n);
    }
  };
  // the conversation is a log: a new answer is read out once it is there, politely; a toast is a
  // dialog without a name in Streamlit: it gets one
  const announce = () => {
    for (const toast of doc.querySelectorAll('.stToast:not([aria-label]), [data-testid="stToast"]:not([aria-label])'))
      toast.setAttribute("aria-label", "Notification");
    const messages = doc.querySelectorAll('[data-testid="stChatMessage"]');
    if (!messages.length) return;
    const log = messages[messages.length - 1].parentElement.closest('[data-testid="stVerticalBlock"]');
    if (log && log.getAttribute("role") !== "log") {
      log.setAttribute("role", "log");
      log.setAttribute("aria-live", "polite");
      log.setAttribute("aria-label", "Conversation");
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "attributes") fix(r.target);
      else if (r.type === "characterData") fix(r.target);
      else r.addedNodes.forEach(fix);
    }
    if (doc.documentElement.lang !== "fr") doc.documentElement.lang = "fr";
    announce();
  }).observe(doc.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: [...ATTRS, "lang"],
  });
  fix(doc.body);
  announce();
})();
</script>
"""


def script() -> str:
    """The script that sets the page's language and puts the interface in French."""
    return _SCRIPT % {"exact": json.dumps(EXACT, ensure_ascii=False), "patterns": json.dumps(PATTERNS)}


def install() -> None:
    """On every page, before anything else is drawn."""
    import streamlit as st

    st.html(STYLE + script(), unsafe_allow_javascript=True)
