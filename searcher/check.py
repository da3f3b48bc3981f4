"""``searcher check``: verify that an index on disk is whole and consistent, and say what is wrong.

:func:`check_index` never raises for a damaged index: every problem is one line of the report.
It reads, for the latest generation of the index:

* ``searcher.json``: present, parseable, ``format`` is ``searcher``, ``schema_version`` is this
  one of the package's :data:`~searcher.schema.READABLE_SCHEMA_VERSIONS` (else: rebuild);
* the TOC (``_MAIN_<gen>.toc``): readable, with a schema that has the fields this version writes;
* every segment the TOC lists, in full (no sampling):

  - its files: the compound ``.seg`` file (its directory read, every part inside the file's
    length, the term, postings and stored-fields parts present), or for a non-compound
    segment the ``.trm``, ``.pst`` and ``._stored.col`` files;
  - every stored document (the stored-fields column), each must have a string ``id``;
  - every term of every indexed field (the ``.trm`` term file) and every posting list of
    every term (the ``.pst`` file): document numbers strictly increasing and inside the
    segment, their count equal to the term's document frequency;
  - the ``id`` field's postings against the stored ids: each live document's stored id must
    be the term that indexes it (catches a term file and a stored-fields file that disagree);
  - every value of every per-document column (sort keys, facets), and the presence of every
    column file the live documents need: those every article has
    (:data:`~searcher.schema.ALWAYS_COLUMNS`), a stored field's (``date``, ``path``) when a
    document stored a value of it, a field's lengths when a document has terms in it; each facets value must
    unpack; the ``age`` and ``date`` columns must reach the last document with an age or a date (Whoosh
    reads a fixed-width column cut short as its default); every document with terms in a scored field
    must have a non-zero length for it;

* the live document count against the number of stored ids (duplicate ids are a note:
  the same id can come from two files);
* the folder: files no live segment or the current TOC refers to (notes: old TOCs and
  segments a crashed or interrupted writer left, stray files), and the write lock (a note
  when it is held by a running writer or left over).

The cost is one pass over the whole index, about as much as reading it all once.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

from whoosh.codec.whoosh3 import _lenfield
from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME, TOC

from searcher.model import CheckReport, IndexNotFoundError
from searcher.schema import (
    ALWAYS_COLUMNS,
    BUILD_FOLDER,
    META_FILE,
    READABLE_SCHEMA_VERSIONS,
    UNDATED_AGE,
    build_schema,
    unpack_facets,
)

_INDEX = _DEF_INDEX_NAME
_TOC_RE = re.compile(rf"^_{_INDEX}_([0-9]+)\.toc$")
_SEGMENT_FILE_RE = re.compile(rf"^({_INDEX}_[0-9a-z]+)\.")
_LOCK_RE = re.compile(rf"^{_INDEX}_[A-Z]+LOCK$")
_WRITELOCK = f"{_INDEX}_WRITELOCK"
_REBUILD = "rebuild it with 'searcher index FOLDER --rebuild'"


def _versions() -> str:
    return " or ".join(map(str, READABLE_SCHEMA_VERSIONS))


class _SegmentDamage(Exception):
    """A segment check that failed; the message is the report line without the segment name."""


def check_index(path: str | Path) -> CheckReport:
    """Verify the index in ``path``; raise :class:`IndexNotFoundError` only if it holds no searcher index."""
    folder = Path(path)
    if not folder.is_dir():
        raise IndexNotFoundError(f"no index at {folder}")
    names = sorted(p.name for p in folder.iterdir())
    tocs = {int(m.group(1)): n for n in names if (m := _TOC_RE.match(n))}
    if META_FILE not in names and not tocs:
        raise IndexNotFoundError(f"{folder} is not a searcher index")

    report = CheckReport(path=str(folder), ok=False, articles=0, segments=0)
    problems, notes = report.problems, report.notes
    _check_meta(folder, problems)
    if not tocs:
        problems.append(f"no TOC file (_{_INDEX}_N.toc): the index's list of segments is gone; {_REBUILD}")
        report.ok = False
        return report

    storage = FileStorage(str(folder), supports_mmap=True)
    gen = max(tocs)
    try:
        toc = TOC.read(storage, _INDEX, gen=gen)
    except Exception as e:  # Whoosh raises many kinds for a damaged TOC
        problems.append(f"cannot read the TOC file {tocs[gen]} (damaged or truncated?): {_why(e)}; {_REBUILD}")
        return report

    missing = sorted(set(build_schema().names()) - set(toc.schema.names()))
    if missing:
        problems.append(f"the index's schema lacks the field(s) {', '.join(missing)}; {_REBUILD}")

    report.segments = len(toc.segments)
    ids: list[str] = []
    all_read = True
    for segment in toc.segments:
        live = segment.doc_count_all() - segment.deleted_count()
        report.articles += live
        try:
            ids.extend(_check_segment(storage, toc, segment, names))
        except _SegmentDamage as e:
            all_read = False
            problems.append(f"segment {segment.segid}: {e}")

    if all_read:
        if len(ids) != report.articles:
            problems.append(f"the segments count {report.articles} documents but hold {len(ids)} stored ids")
        dupes = {i: n for i, n in Counter(ids).items() if n > 1}
        if dupes:
            shown = ", ".join(f"{i} ({n}x)" for i, n in sorted(dupes.items())[:5])
            more = f" and {len(dupes) - 5} more" if len(dupes) > 5 else ""
            notes.append(f"{len(dupes)} article id(s) occur more than once: {shown}{more}")

    _check_files(storage, names, tocs[gen], toc, notes)
    report.ok = not problems
    return report


def _check_meta(folder: Path, problems: list[str]) -> None:
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{META_FILE} is missing: the folder holds a Whoosh index searcher did not make; {_REBUILD}")
        return
    except (OSError, ValueError) as e:
        problems.append(f"{META_FILE} is damaged ({_why(e)}); {_REBUILD}")
        return
    if not isinstance(meta, dict) or meta.get("format") != "searcher":
        problems.append(f"{META_FILE} does not describe a searcher index; {_REBUILD}")
    elif meta.get("schema_version") not in READABLE_SCHEMA_VERSIONS:
        problems.append(
            f"the index has schema version {meta.get('schema_version')!r} (made by searcher "
            f"{meta.get('version', '?')}) but this searcher reads {_versions()}; {_REBUILD}"
        )


def _check_segment(storage: FileStorage, toc: TOC, segment, names: list[str]) -> list[str]:
    """Read the whole segment; return the stored ids of its live documents or raise :class:`_SegmentDamage`."""
    from whoosh.reading import SegmentReader

    sid = segment.segment_id()
    doccount = segment.doc_count_all()
    required = [f"{sid}.trm", f"{sid}.pst", f"{sid}._stored.col"]
    if segment.is_compound():
        seg_name = f"{sid}.seg"
        if seg_name not in names:
            raise _SegmentDamage(f"its file {seg_name} is missing")
        size = (Path(storage.folder) / seg_name).stat().st_size
        try:
            compound = segment.open_compound_file(storage)
        except Exception as e:
            raise _SegmentDamage(f"cannot read its file {seg_name} (truncated?): {_why(e)}") from None
        try:
            parts = dict(compound._dir)
        finally:
            compound.close()
        for name, info in sorted(parts.items()):
            if info["offset"] + info["length"] > size:
                raise _SegmentDamage(f"{seg_name} is shorter than its part {name} needs (truncated?)")
        lacking = [n for n in required if n not in parts]
        if lacking:
            raise _SegmentDamage(f"{seg_name} lacks {', '.join(lacking)}")
    else:
        lacking = [n for n in required if n not in names]
        if lacking:
            raise _SegmentDamage(f"its file(s) {', '.join(lacking)} are missing")

    try:
        reader = SegmentReader(storage, toc.schema, segment, generation=toc.generation)
    except Exception as e:
        raise _SegmentDamage(f"cannot be opened (damaged or truncated?): {_why(e)}") from None
    try:
        return _read_segment(reader, toc.schema, doccount)
    finally:
        try:
            reader.close()
        except Exception:
            pass


def _read_segment(reader, schema, doccount: int) -> list[str]:
    live = [n for n in range(doccount) if not reader.is_deleted(n)]
    live_set = set(live)

    # Stored fields
    stored_ids: dict[int, str] = {}
    stored_values: set[str] = set()  # the stored fields some live document has a value of
    try:
        for n in live:
            fields = reader.stored_fields(n)
            stored_values.update(name for name, value in fields.items() if value is not None)
            doc_id = fields.get("id")
            if not isinstance(doc_id, str) or not doc_id:
                raise _SegmentDamage(f"document {n} has no stored id (stored-fields data damaged?)")
            stored_ids[n] = doc_id
    except _SegmentDamage:
        raise
    except Exception as e:
        raise _SegmentDamage(f"cannot read its stored fields (truncated?): {_why(e)}") from None

    # Terms and postings
    indexed_ids: dict[int, str] = {}
    scorable = set(schema.scorable_names())
    has_terms: dict[str, set[int]] = {f: set() for f in scorable}
    where = "term file"
    terms = reader._terms  # Whoosh 3's W3TermsReader (whoosh3 is pinned)
    try:
        for fieldname in sorted(reader.indexed_field_names()):
            if fieldname not in schema:
                continue
            for btext in list(reader.lexicon(fieldname)):
                where = "term file"
                # Found through the term file's hash table, as a search finds it
                info = terms.term_info(fieldname, btext)
                docfreq = info.doc_frequency()
                where = "postings file"
                # The raw postings, deleted documents included: the term's frequency counts them too
                matcher = terms._codec.postings_reader(terms._postfile, info, schema[fieldname].format)
                ids = list(matcher.all_ids())
                ordered = all(a < b for a, b in zip(ids, ids[1:], strict=False))
                if len(ids) != docfreq or not ordered or (ids and ids[-1] >= doccount):
                    term = btext.decode("utf-8", "replace")
                    raise _SegmentDamage(
                        f"the postings of {fieldname}:{term!r} are inconsistent (postings file damaged?)"
                    )
                if fieldname in scorable:
                    has_terms[fieldname].update(ids)
                if fieldname == "id":
                    term = btext.decode("utf-8")
                    for n in ids:
                        indexed_ids[n] = term
    except _SegmentDamage:
        raise
    except Exception as e:
        raise _SegmentDamage(f"cannot read its {where} (truncated?): {_why(e)}") from None
    wrong = [n for n in live if indexed_ids.get(n) != stored_ids[n]]
    if wrong:
        n = wrong[0]
        raise _SegmentDamage(
            f"{len(wrong)} document(s) whose stored id is not the id they are indexed under, e.g. "
            f"document {n}: stored {stored_ids[n]!r}, indexed {indexed_ids.get(n)!r} "
            "(term or stored-fields file damaged?)"
        )

    # Columns: sort keys, facets and field lengths
    missing = _missing_columns(reader, schema, live, stored_values, has_terms)
    if missing:
        raise _SegmentDamage(f"its column file(s) {', '.join(f'{name}.col' for name in missing)} are missing")
    short = _cut_short(reader, schema, live)
    if short:
        raise _SegmentDamage(short)
    fieldname = ""
    try:
        for fieldname in sorted(schema.names()):
            if schema[fieldname].column_type and reader.has_column(fieldname):
                column = reader.column_reader(fieldname, translate=False)
                values = [column[n] for n in live]
                if fieldname == "facets":
                    for n, value in zip(live, values, strict=True):
                        try:
                            unpack_facets(value)
                        except Exception:
                            raise _SegmentDamage(f"document {n} has a damaged facets value (column damaged?)") from None
        for fieldname in sorted(scorable):
            for n in sorted(has_terms[fieldname] & live_set):
                if not reader.doc_field_length(n, fieldname):
                    raise _SegmentDamage(
                        f"document {n} has terms in {fieldname!r} but no length (its length column is damaged?)"
                    )
    except _SegmentDamage:
        raise
    except Exception as e:
        raise _SegmentDamage(f"cannot read its column of {fieldname!r} (truncated?): {_why(e)}") from None
    return [stored_ids[n] for n in live]


def _cut_short(reader, schema, live: list[int]) -> str | None:
    """What is wrong with a fixed-width column that ends before a document that has a value in
    it (a file cut short): Whoosh reads the documents past its end as the default, an age of 0
    or no date, not as an error. Every article has an age; a dated one (an age that is not
    ``UNDATED_AGE``) has a date."""
    if not live or "age" not in schema or not reader.has_column("age"):
        return None
    undated = schema["age"].to_column_value(UNDATED_AGE)  # as the column holds it (made unsigned)
    ages = reader.column_reader("age", translate=False)
    wanted = {"age": live[-1]}
    if "date" in schema and reader.has_column("date"):
        dated = [n for n in live if ages[n] != undated]
        if dated:
            wanted["date"] = dated[-1]
    for name, last in wanted.items():
        count = getattr(reader.column_reader(name, translate=False), "_count", None)  # fixed width: its values
        if count is not None and count <= last:
            return (f"its {name}.col holds values for {count} documents, but document {last} has one "
                    "(the file is cut short?)")
    return None


def _missing_columns(
    reader, schema, live: list[int], stored_values: set[str], has_terms: dict[str, set[int]]
) -> list[str]:
    """The column files the segment's live documents need and it lacks. A segment writer makes
    a column on its first value (``searcher.segwriter``): those of ``ALWAYS_COLUMNS`` every
    article has; a stored field's (``date``, ``path``) whenever a document stored a value of it;
    a field's lengths (``_body_len``) whenever a document has terms in it. Without its file a
    column reads as empty, not as an error: a missing ``date.col`` made every article undated,
    and ``--since`` found nothing."""
    if not live:
        return []
    live_set = set(live)
    wanted = [name for name in ALWAYS_COLUMNS if name in schema]
    wanted += sorted(
        name for name in stored_values
        if name in schema and schema[name].column_type and schema[name].stored and name not in wanted
    )  # fmt: skip
    missing = [name for name in wanted if not reader.has_column(name)]
    # Length columns are no schema fields (SegmentReader.has_column would not know them).
    perdoc = reader._perdoc  # Whoosh 3's W3PerDocReader (whoosh3 is pinned)
    missing += [
        _lenfield(name) for name in sorted(has_terms)
        if has_terms[name] & live_set and not perdoc.has_column(_lenfield(name))
    ]  # fmt: skip
    return missing


def _check_files(storage: FileStorage, names: list[str], toc_name: str, toc: TOC, notes: list[str]) -> None:
    live = {s.segment_id() for s in toc.segments}
    for name in names:
        if name in (META_FILE, toc_name) or _LOCK_RE.match(name):
            continue
        m = _SEGMENT_FILE_RE.match(name)
        if m and m.group(1) in live:
            continue
        if name == BUILD_FOLDER:
            notes.append(f"folder {name}: what an interrupted 'searcher index --rebuild' left (the next rebuild "
                         "removes it); safe to delete when no rebuild is running")
            continue
        if _TOC_RE.match(name):
            what = "an old TOC"
        elif m:
            what = "a segment file no live segment uses (left by an interrupted write)"
        else:
            what = "not part of the index"
        notes.append(f"orphaned file {name}: {what}; safe to delete")
    if _WRITELOCK in names:
        lock = storage.lock(_WRITELOCK)
        try:
            held = not lock.acquire(blocking=False)
        except OSError:  # Whoosh opens the lock file for writing, which a read-only index refuses
            lock = None
            held = _held(Path(storage.folder) / _WRITELOCK)
        if held:
            notes.append(f"{_WRITELOCK} is held: a writer is adding to the index now, so this check may be out of date")
        elif lock is not None:
            # Whoosh leaves the lock file behind after every write; the kernel lock on it
            # went with its process, so a free lock file is how a healthy index looks.
            lock.release()


def _held(lock_file: Path) -> bool:
    """Whether a process holds the write lock, asked without writing: flock works on a file
    opened for reading. True when it cannot be told, the answer that errs on the safe side."""
    try:
        import fcntl

        fd = os.open(lock_file, os.O_RDONLY)
    except (ImportError, OSError):
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # which releases the lock if this took it
    return False


def _why(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {text}"[:200] if text else type(e).__name__
