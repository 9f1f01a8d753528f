"""Extract, check and compile the zh-Hans and English catalogs.

`--check` fails on any empty or fuzzy entry (after extracting, when gettext is installed), so a
string added to the code without its translation turns the build red. `--compile` writes the .mo
files with polib, so a fresh machine needs no gettext to run the demo.
"""

import shutil
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

LANGS = ("zh_Hans", "en")


def catalog_paths() -> list[Path]:
    root = Path(settings.LOCALE_PATHS[0])
    return [root / lang / "LC_MESSAGES" / f"{domain}.po" for lang in LANGS for domain in ("django", "djangojs")]


class Command(BaseCommand):
    help = "Extract, check (no empty or fuzzy entries) and compile the translation catalogs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--extract", action="store_true", help="run makemessages (needs gettext)")
        parser.add_argument("--check", action="store_true", help="extract if possible, then fail on gaps")
        parser.add_argument("--compile", action="store_true", help="write .mo files")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["extract"] or options["check"]:
            if shutil.which("xgettext"):
                self._extract()
            elif options["extract"]:
                raise CommandError("xgettext not found: install gettext to extract messages")
            else:
                self.stdout.write("xgettext not found: checking the catalogs as committed")
        if options["check"]:
            self._check()
        if options["compile"]:
            self._compile()

    def _extract(self) -> None:
        base = Path(settings.BASE_DIR)
        call_command(
            "makemessages", locale=list(LANGS), no_obsolete=True, no_location=True, verbosity=0,
            ignore_patterns=[".venv/*", "node_modules/*", "var/*", "bench/*", "tests/*", "*/tests/*"],
        )  # fmt: skip
        # English is the source language: an English entry is its own msgid unless a writer changed it.
        for path in (base / "touchpoint" / "locale" / "en" / "LC_MESSAGES").glob("*.po"):
            catalog = polib.pofile(str(path))
            for entry in catalog:
                if entry.msgid_plural:
                    if not any(entry.msgstr_plural.values()):
                        entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
                elif not entry.msgstr:
                    entry.msgstr = entry.msgid
                if "fuzzy" in entry.flags:
                    # A fuzzy entry holds gettext's guess from a similar message: English is the msgid itself.
                    entry.flags.remove("fuzzy")
                    if entry.msgid_plural:
                        entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
                    else:
                        entry.msgstr = entry.msgid
            catalog.save()

    def _check(self) -> None:
        problems = []
        for path in catalog_paths():
            if not path.exists():
                continue
            for entry in polib.pofile(str(path)):
                if entry.obsolete:
                    continue
                empty = (not any(entry.msgstr_plural.values())) if entry.msgid_plural else not entry.msgstr
                if empty or "fuzzy" in entry.flags:
                    state = "fuzzy" if "fuzzy" in entry.flags else "untranslated"
                    problems.append(f"{path.parent.parent.name}: {state}: {entry.msgid!r}")
        if problems:
            raise CommandError(f"{len(problems)} translation gaps:\n" + "\n".join(problems[:200]))
        self.stdout.write("translations complete")

    def _compile(self) -> None:
        for path in catalog_paths():
            if path.exists():
                polib.pofile(str(path)).save_as_mofile(str(path.with_suffix(".mo")))
        self.stdout.write("translations compiled")
