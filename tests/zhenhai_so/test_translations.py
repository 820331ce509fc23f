"""The Chinese catalogue is complete and compiled: every message has a translation that nobody
has left marked fuzzy, and the committed .mo says what the .po says (a forgotten
compilemessages shows English or an old wording to users)."""

import ast
import gettext
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "zhenhai_so" / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries(path: Path) -> list[dict]:
    """The .po file's entries as {'flags', 'msgctxt', 'msgid', 'msgid_plural', 'msgstr[n]'}."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, key = {"flags": set()}, None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[key] += ast.literal_eval(line)
            elif line.strip():
                key, _, value = line.partition(" ")
                entry[key] = ast.literal_eval(value)
        if "msgid" in entry and entry["msgid"]:
            entries.append(entry)
    return entries


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = _entries(LOCALE / "django.po")
    assert len(entries) > 500
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    empty = [
        e["msgid"] for e in entries if not all(v for k, v in e.items() if k.startswith("msgstr"))
    ]
    assert fuzzy == []
    assert empty == []


def test_the_compiled_catalogue_matches_the_po_file():
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in _entries(LOCALE / "django.po"):
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            got = (
                compiled.npgettext(context, entry["msgid"], entry["msgid_plural"], 1)
                if context
                else compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1)
            )
            want = entry["msgstr[0]"]
        else:
            got = (
                compiled.pgettext(context, entry["msgid"])
                if context
                else compiled.gettext(entry["msgid"])
            )
            want = entry["msgstr"]
        if got != want:
            stale.append((entry["msgid"], got, want))
    assert stale == [], "run make messages (compilemessages) after editing the .po file"
