"""Write-backs: a respondent's follow-up under her codename, and the threads they make.

A follow-up is a submission like any other, to a survey the portal carries built in
(:data:`FOLLOW_UP_ID`), sealed to the reviewers. It holds the message and the codename's public
key and login id (``reply_key``, ``reply_login``), exactly as the testimony did. The server
keeps nothing that links the two; only a reviewer, who opens both, sees that the login ids
match. `glas decrypt` then shows each testimony with its thread (:mod:`reviewer.threads`).
"""

from __future__ import annotations

from functools import cache

from .loader import load_survey_text
from .model import Survey

FOLLOW_UP_ID = "follow-up"
MESSAGE = "message"
MAX_MESSAGE = 4000

DEFINITION = f"""
id: {FOLLOW_UP_ID}
language: en
title:
  en: Write back to the centre
  mk: Пишете му на центарот
  sq: Shkruajini qendrës
  sr: Pišite centru
  ru: Написать центру
  uk: Написати центру
questions:
  - name: {MESSAGE}
    type: textarea
    required: true
    max_length: {MAX_MESSAGE}
    label:
      en: Your message
      mk: Вашата порака
      sq: Mesazhi juaj
      sr: Vaša poruka
      ru: Ваше сообщение
      uk: Ваше повідомлення
"""


@cache
def follow_up_survey() -> Survey:
    """The built-in survey every write-back is a submission of."""
    return load_survey_text(DEFINITION.encode("utf-8"), "follow-up (built in)")
