"""Reading and checking the long-format response CSV(s): one row per rating.

Every row is either taken or reported: a bad row stops the analysis with its file and line, because a
total over incomplete or doubled ratings would not be comparable between raters.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eai_recipes.errors import EaiError
from eai_recipes.humaneval.items import BLIND_LABELS, ITEM_IDS, SCORES, normalise_item
from eai_recipes.humaneval.questionnaire import Key
from eai_recipes.humaneval.questions import DEFAULT_QUESTIONS, load_questions

RATING_COLUMNS = ("rater_id", "model", "question_id", "item", "score")
REQUIRED_COLUMNS = ("rater_id", "gender", "major", "model", "question_id", "item", "score")
DEFAULT_FACTORS = ("gender", "major")
MAX_SHOWN_ERRORS = 20
MAX_SHOWN_MISSING = 12


@dataclass
class Responses:
    models: list[str]
    question_ids: list[str]
    raters: list[str]
    scores: np.ndarray  # [rater, model, question, item], every cell a score in 1-5
    factors: dict[str, dict[str, str | None]]  # factor -> rater -> level (None: not given)
    rows: int
    files: list[str]
    notes: list[str] = field(default_factory=list)


def _fold(value: str) -> str:
    return value.strip().casefold()


def _fold_question(value: str) -> str:
    """`Q1`, `q01` and `q001` name the same question (leading zeros of a number are dropped)."""
    return re.sub(r"(?<!\d)0+(?=\d)", "", _fold(value))


class _Canon:
    """Case- and space-insensitive matching that keeps the first spelling seen (or a given one)."""

    def __init__(self, names: list[str] | None = None, fold=_fold) -> None:
        self.fold = fold
        self.by_fold: dict[str, str] = {}
        for name in names or []:
            self.add(name)

    def get(self, value: str) -> str | None:
        return self.by_fold.get(self.fold(value))

    def add(self, value: str) -> str:
        return self.by_fold.setdefault(self.fold(value), value.strip())

    def __len__(self) -> int:
        return len(self.by_fold)

    def names(self) -> list[str]:
        return list(self.by_fold.values())


def parse_score(text: str) -> tuple[int | None, str]:
    value = text.strip()
    if not value:
        return None, "score is empty"
    try:
        number = int(value)
    except ValueError:
        try:
            as_float = float(value)
        except ValueError:
            return None, f"score {value!r} is not a number"
        if not as_float.is_integer():
            return None, f"score {value!r} is not an integer"
        number = int(as_float)
    if number not in SCORES:
        return None, f"score {number} is outside {SCORES[0]}-{SCORES[-1]}"
    return number, ""


def _column_name(raw: str) -> str:
    return raw.strip().lower().replace(" ", "_")


def _read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header (normalised) and (line number, fields) for each row, in a comma, semicolon or tab CSV."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise EaiError(f"responses file {path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise EaiError(f"responses file {path} is not UTF-8 text: {exc}") from None
    first_line = text.splitlines()[0] if text.strip() else ""
    if not first_line.strip():
        raise EaiError(f"responses file {path} is empty (line 1 must be the header: {', '.join(REQUIRED_COLUMNS)})")
    delimiter = ","
    for candidate in (",", ";", "\t"):  # spreadsheets in some locales save with ';'
        names = [_column_name(c) for c in next(csv.reader([first_line], delimiter=candidate))]
        if all(col in names for col in REQUIRED_COLUMNS):
            delimiter = candidate
            break
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [_column_name(c) for c in next(reader)]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise EaiError(f"responses file {path}, line 1: missing column(s) {', '.join(missing)}; the header must "
                       f"hold {', '.join(REQUIRED_COLUMNS)} (extra demographic columns are allowed); found "
                       f"{', '.join(header) or 'nothing'}")
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated or "" in header:
        what = f"column(s) {', '.join(duplicated)} appear twice" if duplicated else "a column has no name"
        raise EaiError(f"responses file {path}, line 1: {what}")
    rows = []
    for fields in reader:
        rows.append((reader.line_num, fields))
    return header, rows


Table = tuple[Path, list[str], list[tuple[int, list[str]]]]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _shown(names: list[str], limit: int = MAX_SHOWN_MISSING) -> str:
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


class _Loader:
    def __init__(self, key: Key | None, models: list[str] | None, factors: list[str] | None,
                 question_ids: list[str], questions_source: str) -> None:
        self.key = key
        if models is not None and len(models) != 2:
            raise EaiError(f"--models must name exactly two models (got {', '.join(models) or 'none'})")
        # Where the two models come from: the key, --models, or (None until decide_models) the responses.
        self.models_from = "key" if key else "--models" if models is not None else None
        self.models = _Canon(key.models if key else models)
        self.model_rows: Counter[str] = Counter()  # folded model name -> rows
        # The study's questions (the key's, else the questions file's); "q1" matches "q01" unless that is ambiguous.
        fold = _fold_question if len({_fold_question(q) for q in question_ids}) == len(question_ids) else _fold
        self.questions = _Canon(question_ids, fold)
        self.questions_source = questions_source
        self.known_question_rows = 0
        self.unknown_questions: Counter[str] = Counter()
        self.raters = _Canon()
        self.explicit_factors = factors
        self.ratings: dict[tuple[str, str, str, str], tuple[int, str]] = {}
        self.first_row: dict[tuple[str, str], str] = {}
        self.demographics: dict[str, dict[str, tuple[str, str]]] = {}  # column -> rater -> (value, where)
        self.conflicts: dict[str, list[tuple[str, str]]] = {}  # column -> (where, what)
        self.errors: list[str] = []
        self.error_count = 0
        self.rows = 0
        self.blank_rows = 0

    def error(self, where: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_SHOWN_ERRORS:
            self.errors.append(f"{where}: {message}")

    def decide_models(self, tables: list[Table]) -> None:
        """Without a key or --models, the two models are the two names with the most rows (in the order they first
        appear), decided over all the input, so that a typo is reported on its own line wherever it is."""
        if self.models_from is not None:
            return
        spelling = _Canon()
        for _, header, rows in tables:
            column = header.index("model")
            for _, fields in rows:
                value = fields[column] if len(fields) == len(header) else ""
                if value.strip() and value.strip().upper() not in BLIND_LABELS:
                    spelling.add(value)
                    self.model_rows[_fold(value)] += 1
        ranked = sorted(spelling.names(), key=lambda name: -self.model_rows[_fold(name)])
        if len(ranked) > 2 and self.model_rows[_fold(ranked[1])] == self.model_rows[_fold(ranked[2])]:
            counts = ", ".join(f"{name} ({_plural(self.model_rows[_fold(name)], 'row')})" for name in ranked)
            raise EaiError(f"the model column holds {len(ranked)} names ({counts}), and which two the analysis "
                           "compares is not clear from their row counts; correct the misspelt names, or pass "
                           "--models FIRST,SECOND")
        self.models = _Canon([name for name in spelling.names() if name in ranked[:2]])
        self.models_from = "responses"

    def read(self, table: Table) -> None:
        path, header, rows = table
        demographic_columns = [c for c in header if c not in RATING_COLUMNS]
        for column in demographic_columns:
            self.demographics.setdefault(column, {})
        for line, fields in rows:
            where = f"{path}, line {line}"
            if not any(f.strip() for f in fields):
                self.blank_rows += 1
                continue
            self.rows += 1
            if len(fields) != len(header):
                self.error(where, f"{len(fields)} fields, but the header has {len(header)}")
                continue
            self.row(dict(zip(header, fields, strict=True)), demographic_columns, where)

    def row(self, values: dict[str, str], demographic_columns: list[str], where: str) -> None:
        empty = [c for c in RATING_COLUMNS if c != "score" and not values[c].strip()]
        if empty:
            self.error(where, f"empty {', '.join(empty)}")
            return
        score, problem = parse_score(values["score"])
        if score is None:
            self.error(where, problem)
            return
        item = normalise_item(values["item"])
        if item not in ITEM_IDS:
            self.error(where, f"unknown item {values['item'].strip()!r} (allowed: {', '.join(ITEM_IDS)})")
            return
        question = self.question(values["question_id"], where)
        if question is None:
            return
        model = self.model(values["model"], question, where)
        if model is None:
            return
        rater = self.raters.add(values["rater_id"])
        slot = (rater, model, question, item)
        if slot in self.ratings:
            self.error(where, f"duplicate rating: rater {rater}, model {model}, question {question}, item {item} "
                              f"was already rated at {self.ratings[slot][1]}")
            return
        self.ratings[slot] = (score, where)
        self.first_row.setdefault((rater, model), where)
        for column in demographic_columns:
            self.demographic(column, rater, values[column].strip(), where)

    def question(self, value: str, where: str) -> str | None:
        known = self.questions.get(value)
        if known is not None:
            self.known_question_rows += 1
            return known
        self.unknown_questions[value.strip()] += 1
        known_ids = _shown(self.questions.names())
        if self.key is not None:
            self.error(where, f"unknown question_id {value.strip()!r} (the key has {known_ids})")
        else:
            self.error(where, f"unknown question_id {value.strip()!r} (not in {self.questions_source}: {known_ids}; "
                              "a study with its own questions passes --questions FILE)")
        return None

    def model(self, value: str, question: str, where: str) -> str | None:
        label = value.strip().upper()
        if label in BLIND_LABELS:
            if self.key is None:
                raise EaiError(f"{where}: model {value.strip()!r} is a blinded label; pass --key KEY.json (written by "
                               "`eai humaneval questionnaire`) to turn the labels back into model names")
            return self.key.mapping[(question, label)]
        known = self.models.get(value)
        if known is not None:
            return known
        if self.models_from == "key":
            self.error(where, f"unknown model {value.strip()!r} (expected a blinded label {'/'.join(BLIND_LABELS)} or "
                              f"one of the key's models: {', '.join(self.models.names())})")
        elif self.models_from == "--models":
            self.error(where, f"unknown model {value.strip()!r} (--models names {', '.join(self.models.names())})")
        else:
            rows = _plural(self.model_rows[_fold(value)], "row")
            held = " and ".join(f"{name} ({_plural(self.model_rows[_fold(name)], 'row')})"
                                for name in self.models.names())
            self.error(where, f"unknown model {value.strip()!r} ({rows}): the responses compare "
                              f"{held}; correct the name, or use --models to say which two models to compare")
        return None

    def demographic(self, column: str, rater: str, value: str, where: str) -> None:
        if not value:
            return
        seen = self.demographics[column].get(rater)
        if seen is None:
            self.demographics[column][rater] = (value, where)
        elif seen[0].casefold() != value.casefold():
            self.conflicts.setdefault(column, []).append(
                (where, f"rater {rater} has {column} {value!r} here but {seen[0]!r} at {seen[1]}"))

    def factors(self) -> list[str]:
        columns = list(self.demographics)
        if self.explicit_factors is not None:
            unknown = [f for f in self.explicit_factors if f not in columns]
            if unknown:
                raise EaiError(f"--factors: no column {', '.join(unknown)} in the responses (demographic columns: "
                               f"{', '.join(columns) or 'none'})")
            return list(self.explicit_factors)
        return [c for c in columns if c in DEFAULT_FACTORS or c not in self.conflicts]

    def finish(self, files: list[str]) -> Responses:
        if self.unknown_questions and not self.known_question_rows:
            given = _shown(list(self.unknown_questions))
            if self.key is not None:
                raise EaiError(f"none of the responses' question ids ({given}) is in the key "
                               f"({_shown(self.questions.names())}); is the key from this study's questionnaire?")
            raise EaiError(f"none of the responses' question ids ({given}) is in {self.questions_source} "
                           f"({_shown(self.questions.names())}); if the study used its own questions, pass "
                           "--questions FILE, the file given to `prepare` and `questionnaire`")
        factors = self.factors()
        notes: list[str] = []
        for column, conflicts in self.conflicts.items():
            if column in factors:
                for where, what in conflicts:
                    self.error(where, f"{what}; a rater's {column} must be the same on all of their rows")
            else:
                where, what = conflicts[0]
                notes.append(f"column {column!r} varies within raters ({where}: {what}); not analysed as a "
                             "demographic factor")
        if self.error_count:
            shown = "\n  ".join(self.errors)
            more = self.error_count - len(self.errors)
            tail = f"\n  ... and {more} more" if more > 0 else ""
            raise EaiError(f"{self.error_count} bad row(s) in the responses; nothing was analysed:\n  {shown}{tail}")
        if not self.ratings:
            raise EaiError(f"no ratings in {', '.join(files)}")
        models = self.models.names()
        if len(models) != 2:
            raise EaiError(f"the responses hold ratings of {len(models)} model(s) ({', '.join(models)}); the analysis "
                           "compares two")
        self.check_complete(models)
        if self.blank_rows:
            notes.append(f"skipped {self.blank_rows} empty row(s)")
        return self.assemble(models, factors, files, notes)

    def check_complete(self, models: list[str]) -> None:
        questions = self.questions.names()
        problems: list[str] = []
        for rater in self.raters.names():
            rated = [m for m in models if (rater, m) in self.first_row]
            if len(rated) < len(models):
                unrated = [m for m in models if m not in rated]
                problems.append(f"rater {rater} rated {', '.join(rated)} but not {', '.join(unrated)} (first row: "
                                f"{self.first_row[(rater, rated[0])]})")
                continue
            for model in models:
                missing = [f"{q}/{i}" for q in questions for i in ITEM_IDS if (rater, model, q, i) not in self.ratings]
                if missing:
                    more = " ..." if len(missing) > MAX_SHOWN_MISSING else ""
                    shown = ", ".join(missing[:MAX_SHOWN_MISSING]) + more
                    problems.append(f"rater {rater}, model {model}: {len(missing)} of {len(questions) * len(ITEM_IDS)} "
                                    f"ratings missing ({shown})")
        if problems:
            raise EaiError("incomplete ratings; totals would not be comparable between raters, so nothing was "
                           "analysed (fill the ratings in, or remove the rater's rows):\n  " + "\n  ".join(problems))

    def assemble(self, models: list[str], factors: list[str], files: list[str], notes: list[str]) -> Responses:
        raters, questions = self.raters.names(), self.questions.names()
        positions = [{name: i for i, name in enumerate(names)} for names in (raters, models, questions, ITEM_IDS)]
        scores = np.zeros([len(p) for p in positions], dtype=np.int64)
        for slot, (score, _) in self.ratings.items():
            scores[tuple(p[name] for p, name in zip(positions, slot, strict=True))] = score
        levels: dict[str, dict[str, str | None]] = {}
        for factor in factors:
            spelling = _Canon()
            levels[factor] = {}
            for rater in raters:
                given = self.demographics[factor].get(rater)
                levels[factor][rater] = spelling.add(given[0]) if given else None
            variants = {v for v, _ in self.demographics[factor].values()} - set(spelling.names())
            if variants:
                notes.append(f"{factor}: merged spellings that differ only in case ({', '.join(sorted(variants))})")
        return Responses(models, questions, raters, scores, levels, len(self.ratings), files, notes)


def _study_questions(key: Key | None, questions: Path | str | None) -> tuple[list[str], str]:
    """The question ids every rater must rate, and where they come from: the key's, else the questions file's."""
    if key is None:
        path = Path(questions) if questions is not None else DEFAULT_QUESTIONS
        return [q.id for q in load_questions(path)], f"the questions file {path}"
    if questions is not None:
        file_ids = [q.id for q in load_questions(questions)]
        folded = {_fold_question(q) for q in key.question_ids}
        if {_fold_question(q) for q in file_ids} != folded:
            raise EaiError(f"--questions {questions} holds {_shown(file_ids)}, but the key's questions are "
                           f"{_shown(key.question_ids)}; give the questions file the questionnaire was made from, "
                           "or leave --questions out (the key has the questions)")
    return list(key.question_ids), "the key"


def load_responses(paths: list[Path | str], *, key: Key | None = None, models: list[str] | None = None,
                   factors: list[str] | None = None, questions: Path | str | None = None) -> Responses:
    """Read one or more response CSVs (e.g. one per rater) into a complete score array, or raise EaiError.

    Every rater must rate every question of the study: the key's questions with `key`, else those of the questions
    file `questions` (default: the shipped ones). Without `key` or `models`, the two models are the two most
    frequent names in the model column, so a misspelt name is reported on its lines wherever it occurs.
    """
    question_ids, source = _study_questions(key, questions)
    loader = _Loader(key, models, factors, question_ids, source)
    files = [str(p) for p in paths]
    tables = [(Path(path), *_read_table(Path(path))) for path in paths]
    loader.decide_models(tables)
    for table in tables:
        loader.read(table)
    return loader.finish(files)
