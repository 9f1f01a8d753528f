"""Full-text lookup over a `search_text` column, for Chinese names, pinyin, phones and emails.

`search_text` is a space-separated bag of tokens built by `index_tokens()`:
- CJK bigrams of each name, so any Chinese substring of two characters or more matches;
- pinyin of each name, full and initials, from every character onwards, so that 华泰证券 is
  found by `huatai`, `ht`, `zhengquan` and `zq` (matched as prefixes);
- digit runs of each phone number from every position, so that a fragment matches as a prefix;
- each email without punctuation, and its local part.

PostgreSQL indexes it with a GIN index on a stored to_tsvector('simple', search_text); SQLite with an
FTS5 external-content table kept in step by triggers. Both take prefix queries.
"""

import json
import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from importlib import resources
from types import ModuleType

from django.db import connection, models
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[a-z0-9]+")
MIN_DIGITS = 3
MAX_TOKEN = 60


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


_pinyin_lock = threading.Lock()
_pinyin_module: ModuleType | None = None


def load_pinyin() -> ModuleType:
    """pypinyin, loaded on first use: only processes that write names pay for its dictionaries.

    Loaded as it ships, its phrase table (what keeps polyphones such as 银行 and 重庆 right) costs a
    process about 35 MB: 144,000 small lists of 1,250 distinct readings, and the memory stays with the
    process even if they are shared afterwards. So pypinyin starts without it (its documented
    PYPINYIN_NO_PHRASES and PYPINYIN_NO_DICT_COPY switches), and the same table is read here one
    phrase at a time, each reading shared as it is read, then handed over with load_phrases_dict().
    pypinyin deep-copies a phrase's readings before using them, so shared lists are never changed.
    """
    global _pinyin_module
    with _pinyin_lock:
        if _pinyin_module is None:
            os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
            os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
            import pypinyin

            table = resources.files("pypinyin").joinpath("phrases_dict.json").read_text("utf-8")
            pypinyin.load_phrases_dict(_shared_phrases(table))
            _pinyin_module = pypinyin
    return _pinyin_module


def _shared_phrases(text: str) -> dict[str, list[list[str]]]:
    """Decode pypinyin's phrase table (a JSON object of phrase → readings) entry by entry."""
    decoder = json.JSONDecoder()
    space = re.compile(r"[\s,:]*")
    readings: dict[tuple[str, ...], list[str]] = {}
    phrases: dict[str, list[list[str]]] = {}
    at = space.match(text, text.index("{") + 1).end()  # type: ignore[union-attr]
    while text[at] != "}":
        phrase, at = decoder.raw_decode(text, at)
        at = space.match(text, at).end()  # type: ignore[union-attr]
        value, at = decoder.raw_decode(text, at)
        phrases[phrase] = [readings.setdefault(tuple(reading), reading) for reading in value]
        at = space.match(text, at).end()  # type: ignore[union-attr]
    return phrases


def name_tokens(name: str) -> set[str]:
    pypinyin = load_pinyin()
    lazy_pinyin, Style = pypinyin.lazy_pinyin, pypinyin.Style

    text = normalise(name)
    tokens: set[str] = set()
    for run in CJK_RUN.findall(text):
        tokens.update(_bigrams(run))
        full = lazy_pinyin(run, errors="ignore")
        initials = lazy_pinyin(run, style=Style.FIRST_LETTER, errors="ignore")
        for start in range(len(full)):
            tokens.add("".join(full[start:])[:MAX_TOKEN])
            tokens.add("".join(initials[start:])[:MAX_TOKEN])
    for word in WORD.findall(CJK_RUN.sub(" ", text)):
        tokens.add(word[:MAX_TOKEN])
    return tokens


def phone_tokens(phone: str) -> set[str]:
    digits = re.sub(r"\D", "", phone or "")
    return {digits[i:] for i in range(len(digits) - MIN_DIGITS + 1)} if digits else set()


def email_tokens(email: str) -> set[str]:
    text = normalise(email)
    if not text:
        return set()
    local = text.split("@", 1)[0]
    return {"".join(WORD.findall(text))[:MAX_TOKEN], "".join(WORD.findall(local))[:MAX_TOKEN]} - {""}


def index_tokens(
    *, names: Sequence[str] = (), phones: Sequence[str] = (), emails: Sequence[str] = (), codes: Sequence[str] = ()
) -> str:
    tokens: set[str] = set()
    for name in names:
        tokens |= name_tokens(name)
    for phone in phones:
        tokens |= phone_tokens(phone)
    for email in emails:
        tokens |= email_tokens(email)
    for code in codes:
        if code:
            tokens.add("".join(WORD.findall(normalise(code)))[:MAX_TOKEN])
    return " ".join(sorted(t for t in tokens if t))


def query_terms(query: str) -> list[str]:
    """Split what a user typed into terms that must all match (as prefixes)."""
    text = normalise(query)[:100]
    terms: list[str] = []
    for run in CJK_RUN.findall(text):
        terms.extend(_bigrams(run))
    rest = CJK_RUN.sub(" ", text)
    if "@" in rest:
        terms.extend(t for t in ["".join(WORD.findall(rest))] if t)
    else:
        for word in WORD.findall(rest):
            terms.append(word)
    seen: list[str] = []
    for term in terms:
        if term not in seen:
            seen.append(term)
    return seen[:8]


def is_searchable(query: str) -> bool:
    terms = query_terms(query)
    if not terms:
        return False
    # One Latin letter or a lone Chinese character matches too much to be useful.
    return any(len(t) >= 2 for t in terms)


def fts_table(model: type[models.Model]) -> str:
    return f"{model._meta.db_table}_fts"


def search_filter(queryset: models.QuerySet, query: str) -> models.QuerySet:
    """Narrow `queryset` to rows whose search_text matches every term of `query`."""
    terms = query_terms(query)
    if not terms:
        return queryset.none()
    table = queryset.model._meta.db_table
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{t}:*" for t in terms)
        # A condition on the row itself, not an id subquery, so that the bitmap scan's rows are used
        # as they come. Table names come from model metadata; the terms are bound parameters.
        return queryset.filter(
            RawSQL(f'"{table}"."search_vector" @@ to_tsquery(\'simple\', %s)', [tsquery], output_field=BooleanField())
        )
    fts_query = " AND ".join(f'"{t}"*' for t in terms)
    return queryset.filter(
        pk__in=RawSQL(
            f"SELECT rowid FROM {fts_table(queryset.model)} WHERE {fts_table(queryset.model)} MATCH %s",
            [fts_query],
        )
    )


def search_ids(model: type[models.Model], query: str) -> RawSQL | None:
    """The ids of `model`'s rows matching every term of `query`, as a subquery for `<fk>__in=`.

    For filtering rows of another table by a related row's text (opportunities by their customer's
    name); `search_filter` suits the table itself. None when the query has no searchable term.
    """
    terms = query_terms(query)
    if not terms:
        return None
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{t}:*" for t in terms)
        return RawSQL(f"SELECT id FROM {table} WHERE search_vector @@ to_tsquery('simple', %s)", [tsquery])
    fts_query = " AND ".join(f'"{t}"*' for t in terms)
    return RawSQL(f"SELECT rowid FROM {fts_table(model)} WHERE {fts_table(model)} MATCH %s", [fts_query])


def index_sql(table: str, vendor: str) -> tuple[list[str], list[str]]:
    """SQL that creates and drops the full-text index of `table`, for a migration."""
    if vendor == "postgresql":
        # A stored tsvector: the GIN index finds candidates and a recheck or a filter on it costs a
        # comparison, not a fresh to_tsvector() of the text. The ORM never sees the column.
        return (
            [
                f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
                "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
                f"CREATE INDEX {table}_search_gin ON {table} USING gin (search_vector)",
            ],
            [f"DROP INDEX IF EXISTS {table}_search_gin", f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector"],
        )
    fts = f"{table}_fts"
    return (
        [
            f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF search_text ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
            f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ],
        [
            f"DROP TRIGGER IF EXISTS {fts}_ai",
            f"DROP TRIGGER IF EXISTS {fts}_ad",
            f"DROP TRIGGER IF EXISTS {fts}_au",
            f"DROP TABLE IF EXISTS {fts}",
        ],
    )


class SearchIndex:
    """Migration operation body: `migrations.RunPython(*SearchIndex("app_model").operations())`."""

    def __init__(self, table: str) -> None:
        self.table = table

    def _run(self, statements_index: int, schema_editor: object) -> None:
        conn = schema_editor.connection  # type: ignore[attr-defined]
        statements = index_sql(self.table, conn.vendor)[statements_index]
        with conn.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def forwards(self, apps: object, schema_editor: object) -> None:
        self._run(0, schema_editor)

    def backwards(self, apps: object, schema_editor: object) -> None:
        self._run(1, schema_editor)
