"""Language names as XLSForms write them (``label::English``, ``label::Shqip``) and their codes.

Kobo and ODK forms name a language by its English name, by its own name, by a code, or by a name
with the code in brackets (``English (en)``). The table covers the portal's languages, the
languages of the region, and the world's most spoken ones; a name it does not know is refused
with the advice to add the code in brackets.
"""

from __future__ import annotations

import re

#: Lower-case name (English or the language's own) → ISO 639 code.
LANGUAGE_NAMES = {
    # The portal's own languages and the region's.
    "english": "en",
    "macedonian": "mk",
    "македонски": "mk",
    "makedonski": "mk",
    "albanian": "sq",
    "shqip": "sq",
    "serbian": "sr",
    "srpski": "sr",
    "српски": "sr",
    "russian": "ru",
    "русский": "ru",
    "ukrainian": "uk",
    "українська": "uk",
    "croatian": "hr",
    "hrvatski": "hr",
    "bosnian": "bs",
    "bosanski": "bs",
    "montenegrin": "cnr",
    "crnogorski": "cnr",
    "slovenian": "sl",
    "slovene": "sl",
    "bulgarian": "bg",
    "български": "bg",
    "romanian": "ro",
    "română": "ro",
    "romani": "rom",
    "greek": "el",
    "ελληνικά": "el",
    "turkish": "tr",
    "türkçe": "tr",
    "hungarian": "hu",
    "magyar": "hu",
    "polish": "pl",
    "polski": "pl",
    "czech": "cs",
    "slovak": "sk",
    "belarusian": "be",
    "georgian": "ka",
    "armenian": "hy",
    "azerbaijani": "az",
    "kazakh": "kk",
    "uzbek": "uz",
    "kyrgyz": "ky",
    "tajik": "tg",
    "moldovan": "ro",
    # The world's most spoken languages.
    "chinese": "zh",
    "mandarin": "zh",
    "中文": "zh",
    "cantonese": "yue",
    "hindi": "hi",
    "spanish": "es",
    "español": "es",
    "french": "fr",
    "français": "fr",
    "arabic": "ar",
    "العربية": "ar",
    "bengali": "bn",
    "bangla": "bn",
    "portuguese": "pt",
    "português": "pt",
    "urdu": "ur",
    "indonesian": "id",
    "bahasa indonesia": "id",
    "german": "de",
    "deutsch": "de",
    "japanese": "ja",
    "nigerian pidgin": "pcm",
    "marathi": "mr",
    "telugu": "te",
    "tamil": "ta",
    "vietnamese": "vi",
    "korean": "ko",
    "persian": "fa",
    "farsi": "fa",
    "dari": "prs",
    "pashto": "ps",
    "hausa": "ha",
    "swahili": "sw",
    "kiswahili": "sw",
    "javanese": "jv",
    "italian": "it",
    "italiano": "it",
    "punjabi": "pa",
    "gujarati": "gu",
    "thai": "th",
    "kannada": "kn",
    "amharic": "am",
    "bhojpuri": "bho",
    "yoruba": "yo",
    "igbo": "ig",
    "oromo": "om",
    "somali": "so",
    "tigrinya": "ti",
    "tagalog": "tl",
    "filipino": "fil",
    "malay": "ms",
    "burmese": "my",
    "myanmar": "my",
    "nepali": "ne",
    "sinhala": "si",
    "khmer": "km",
    "lao": "lo",
    "kurdish": "ku",
    "hebrew": "he",
    "dutch": "nl",
    "nederlands": "nl",
    "swedish": "sv",
    "norwegian": "no",
    "danish": "da",
    "finnish": "fi",
    "zulu": "zu",
    "xhosa": "xh",
    "afrikaans": "af",
    "shona": "sn",
    "kinyarwanda": "rw",
    "lingala": "ln",
    "wolof": "wo",
    "fula": "ff",
    "fulfulde": "ff",
    "malagasy": "mg",
    "haitian creole": "ht",
}
CODE = re.compile(r"^[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?$")
BRACKETED = re.compile(r"\(([^()]+)\)\s*$")


def language_code(text: str) -> str:
    """The code of a language as a form names it, or "" when it cannot be told.

    ``English (en)`` and ``english_(en)`` give ``en`` (the bracket wins); ``English``,
    ``Shqip`` and ``mk`` give ``en``, ``sq`` and ``mk``."""
    text = text.strip()
    bracket = BRACKETED.search(text)
    if bracket:
        code = bracket.group(1).strip()
        return code if CODE.match(code) else ""
    name = " ".join(text.replace("_", " ").split()).lower()
    if name in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[name]
    return name if CODE.match(name) else ""
