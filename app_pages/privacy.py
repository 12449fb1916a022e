"""« Données personnelles » : what the assistant keeps about its users, for how long, and how it is deleted."""

from __future__ import annotations

import streamlit as st

from app_pages import common

s = common.settings()
days = s.feedback_retention_days
contact = s.contact or "l'adresse de contact indiquée par la collectivité qui publie ce service"
kept = f"**{days} jours**" if days > 0 else "**sans limite de durée** (réglage `CAPACITIES_FEEDBACK_RETENTION_DAYS=0`)"

st.title("Données personnelles")
st.markdown(
    f"""
L'assistant ne demande ni compte, ni nom, ni adresse. Voici tout ce qu'il garde.

## Ce qui est enregistré

- **Vos questions et les réponses** restent dans la mémoire de votre session, le temps de la
  conversation : elles ne sont pas écrites sur le disque, et disparaissent avec « Nouvelle conversation »
  ou à la fermeture de l'onglet.
- **Votre avis** (pouce levé ou baissé) et **votre commentaire**, seulement si vous en donnez un : ils sont
  enregistrés avec la question, la réponse, le mode et les pages citées, pour que les responsables du
  service améliorent les réponses. Rien ne relie un avis à une personne. N'écrivez pas de donnée
  personnelle dans un commentaire.
- Les **questions restées sans réponse**, et celles dont la réponse a reçu un pouce baissé : la question,
  le mode, les documents les plus proches et le meilleur score, pour que les auteurs sachent quoi écrire.
- Vos **signalements** sur un passage cité (« Signaler ») : la nature, votre commentaire, le passage, le
  document, la page et la question. Ni adresse, ni compte, ni identifiant de session ne sont gardés.
- Les **documents déposés** par un administrateur (page d'administration) ; un document retiré est gardé
  dans la corbeille du dossier de données.

## Combien de temps

Les avis, commentaires, questions sans réponse et signalements sont gardés {kept}, puis
supprimés : au démarrage de l'application, une fois
par jour, et par la commande `capacities purge-feedback` (que l'administrateur peut lancer à tout
moment, par exemple `capacities purge-feedback --days 30`).

## Vos droits

Pour consulter ou faire effacer un avis que vous avez donné, ou pour toute question sur ces données,
écrivez à {contact}.
"""
)
