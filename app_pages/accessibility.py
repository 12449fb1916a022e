"""« Accessibilité » : the accessibility statement, in the form RGAA 4.1 asks for (article 47 of law 2005-102)."""

from __future__ import annotations

import streamlit as st

from app_pages import common

s = common.settings()
contact = s.contact or "l'adresse de contact indiquée par la collectivité qui publie ce service"

st.title("Déclaration d'accessibilité")
st.markdown(
    f"""
La collectivité qui publie l'assistant CAPACities s'engage à rendre ses services numériques accessibles,
conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005. Cette déclaration s'applique à
l'assistant CAPACities (questions, résumés pour élus, administration).

## État de conformité

L'assistant CAPACities est **non conforme** au référentiel général d'amélioration de l'accessibilité
(RGAA 4.1) : il n'a pas encore fait l'objet d'un audit complet de l'échantillon de pages que le RGAA
demande. Ce qui a été vérifié, et comment, est décrit ci-dessous ; un audit complet reste à faire avant
toute déclaration de conformité partielle ou totale.

## Ce qui a été testé

À chaque modification du code, un test automatique ouvre l'application dans Chromium et :

- parcourt la page de questions **au clavier seul** (tabulation jusqu'à la zone de question, envoi avec
  Entrée, ouverture d'une fiche source avec Entrée) ;
- lance l'audit automatique **axe-core** (version 4.14.1) sur quatre vues : la conversation avec une
  réponse et une fiche source ouverte, le résumé pour élus, l'administration connectée, et la page de
  questions sur un écran de téléphone (390 × 844) ; l'objectif est qu'aucune anomalie « grave » ni
  « critique » ne soit trouvée, et le test échoue sinon ;
- vérifie que la page est déclarée en français (`lang="fr"`) et qu'aucun texte de l'interface n'est
  lu ou affiché en anglais ;
- vérifie que chaque nouvelle réponse est placée dans une zone annoncée par les lecteurs d'écran
  (zone « Conversation », annonce polie).

Les légendes et citations ont un contraste d'au moins 4,5:1, et tout lien ou bouton qui reçoit le
focus est entouré d'un trait visible.

## Contenus non accessibles

- Les **livrables** eux-mêmes (PDF) ne sont pas tous accessibles : ils sont cités mot pour mot, et la
  page d'origine s'affiche en image ; le texte du passage cité, affiché à côté de l'image, en tient lieu.
- Certains composants de la bibliothèque Streamlit (listes déroulantes, dépôt de fichier) n'ont pas été
  testés avec un lecteur d'écran réel (NVDA, VoiceOver) ; seul l'audit automatique les couvre.

## Établissement de cette déclaration

Technologies utilisées : HTML, CSS, JavaScript (application Streamlit). Environnement de test :
Chromium 156 sans affichage, axe-core 4.14.1, Playwright.

## Retour d'information et contact

Si vous ne pouvez pas accéder à un contenu ou à une fonctionnalité, écrivez à {contact} : une
alternative accessible vous sera proposée (par exemple le passage ou le livrable sous une autre forme).

## Voies de recours

Si vous avez signalé un défaut d'accessibilité et n'avez pas obtenu de réponse satisfaisante, vous pouvez
saisir le Défenseur des droits : par le formulaire en ligne sur defenseurdesdroits.fr, auprès d'un de ses
délégués, ou par courrier gratuit, sans affranchissement, à : Défenseur des droits, Libre réponse 71120,
75342 Paris CEDEX 07.
"""
)
