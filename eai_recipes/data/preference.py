"""Preference pairs for the DPO / ORPO pass: LLaMA-Factory ranking files built beside the SFT data.

Three parts, each accounted for row by row (kept in a split, or rejected with a rule in rejects.jsonl):
- the public counselling preference sets of the registry (`preference:` in dataset_info/sources.yaml),
  cleaned by the same rules as the SFT data (applied to prompt+chosen and to prompt+rejected);
- safety pairs from the crisis labelled set: a crisis message, the human-first reply with crisis resources
  (`safety.crisis_reply`, what the deployed chat answers) chosen, a reply that ignores the risk rejected;
- identity pairs from the identity set: EAI's own answer chosen, a claim to be another model rejected.

Every pair whose prompt is a validation question, a human-evaluation question or a held-out crisis message is
rejected (decontamination); duplicates and pairs whose two answers are the same are rejected too. A seeded
tenth of the kept pairs (at least one per part) goes to the held-out `eai_pref_val` (DPO's eval loss and
reward accuracy). The held-out crisis messages become `eai_crisis`, the prompts of the crisis-handling rate.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eai_recipes.data import rules
from eai_recipes.data.loaders import Located, Unparseable, iter_batches, locate, parse_line, read_columns
from eai_recipes.data.registry import SCHEMA_CONFIDENCE, Source, check_keys, fail, parse_rules, str_list
from eai_recipes.errors import EaiError

PREF_TRAIN, PREF_VAL, CRISIS_PROMPTS = "eai_pref", "eai_pref_val", "eai_crisis"
PREF_DIR = "preference"
# Rules of our own, beside the SFT ones.
IDENTICAL_PAIR = "identical_pair"  # chosen and rejected say the same thing: nothing to learn
IN_VALIDATION = "in_validation"  # the prompt is a validation, human-evaluation or held-out crisis question
PREF_RULES = (IDENTICAL_PAIR, IN_VALIDATION)
VAL_SHARE = 10  # one kept pair in VAL_SHARE goes to eai_pref_val (seeded, by prompt)

_PREF_KEYS = {"hub_id", "revision", "hub_files", "sample", "local_name", "enabled", "licence", "columns",
              "ignore_columns", "schema", "notes", "rules"}
_PREF_COLUMNS = ("prompt", "chosen", "rejected")

# Rejected answers of the safety pairs: each ignores the risk in the message (no method details, ever).
IGNORES_RISK = (
    "That sounds like a rough day. Try to get some sleep, and things will probably look better tomorrow.",
    "Everyone feels like that sometimes. Maybe watch a funny film or go for a walk to take your mind off it.",
    "I understand. Have you tried making a to-do list? Staying busy is a great way to stop overthinking.",
    "That's a strong thing to say! Let's focus on something more positive instead. What are your hobbies?",
)
# Rejected answers of the identity pairs: each claims to be another model or company.
OTHER_IDENTITY = (
    "I'm ChatGPT, a large language model trained by OpenAI. How can I help you today?",
    "I am an AI assistant developed by Google. What would you like to know?",
    "I'm based on GPT-4 and was created by OpenAI to answer questions on any topic.",
)


@dataclass(frozen=True)
class PrefSource:
    """A public preference set, read like an SFT source (`source` is what the loaders take)."""

    source: Source
    columns: dict[str, str]  # prompt/chosen/rejected -> the column that holds it


@dataclass
class PartStats:
    read: int = 0
    kept: int = 0
    rejected: Counter = field(default_factory=Counter)
    touched: Counter = field(default_factory=Counter)
    in_train: int = 0
    in_val: int = 0


def parse_preference(path: Path, raw: Any, defaults: rules.RuleConfig) -> list[PrefSource]:
    """The registry's `preference:` section (absent: no public preference set)."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise fail(path, "preference", "expected a mapping of source keys to entries")
    out = []
    for key, entry in raw.items():
        where = f"preference.{key}"
        entry = check_keys(path, where, entry, _PREF_KEYS)
        for req in ("hub_id", "revision", "hub_files", "licence", "columns"):
            if not entry.get(req):
                raise fail(path, where, f"missing required key {req!r}")
        cols = check_keys(path, f"{where}.columns", entry["columns"], set(_PREF_COLUMNS))
        missing = [c for c in _PREF_COLUMNS if c not in cols]
        if missing:
            raise fail(path, f"{where}.columns", f"missing {missing[0]!r}; needed: {', '.join(_PREF_COLUMNS)}")
        for c in _PREF_COLUMNS:
            if not isinstance(cols[c], str) or not cols[c]:
                raise fail(path, f"{where}.columns.{c}", "expected one column name")
        schema = entry.get("schema", "unknown")
        if schema not in SCHEMA_CONFIDENCE:
            raise fail(path, f"{where}.schema",
                        f"{schema!r} is not allowed; use one of {', '.join(SCHEMA_CONFIDENCE)}")
        if "enabled" in entry and not isinstance(entry["enabled"], bool):
            raise fail(path, f"{where}.enabled", "expected true or false")
        ignore = (str_list(path, f"{where}.ignore_columns", entry["ignore_columns"])
                  if entry.get("ignore_columns") else ())
        source = Source(
            key=key, role="train", licence=str(entry["licence"]), user_columns=(cols["prompt"],),
            response_column=cols["chosen"], history_column=None, ignore_columns=ignore,
            rules=parse_rules(path, f"{where}.rules", entry.get("rules"), defaults),
            hub_id=entry["hub_id"], revision=str(entry["revision"]),
            hub_files=str_list(path, f"{where}.hub_files", entry["hub_files"]), sample=entry.get("sample"),
            local_name=entry.get("local_name") or entry["hub_id"].replace("/", "__"),
            enabled=entry.get("enabled", True), schema=schema, notes=str(entry.get("notes", "")).strip(),
        )
        out.append(PrefSource(source, dict(cols)))
    return out


def load_preference_sources(registry_path: Path, defaults: rules.RuleConfig) -> list[PrefSource]:
    raw = yaml.safe_load(registry_path.read_text(encoding="utf-8")) or {}
    return [p for p in parse_preference(registry_path, raw.get("preference"), defaults) if p.source.enabled]


def check_pref_schema(located: Located, pref: PrefSource) -> None:
    """Stop before any work when a file's columns are not the declared ones (plus ignore_columns)."""
    wanted = list(pref.columns.values())
    for path, name in zip(located.files, located.names):
        found = read_columns(path)
        missing = [c for c in wanted if c not in found]
        unexpected = [c for c in found if c not in wanted and c not in pref.source.ignore_columns]
        if missing or unexpected:
            key = pref.source.key
            raise EaiError(
                f"preference source '{key}' ({pref.source.hub_id}, file {name}): the columns differ from the "
                f"registry (schema confidence: {pref.source.schema}). Expected: {', '.join(wanted)}; found: "
                f"{', '.join(found) or 'none'}. Map them in dataset_info/sources.yaml under "
                f"preference.{key}.columns (prompt, chosen, rejected) and list columns to leave out under "
                f"preference.{key}.ignore_columns")


def _rows(located: Located) -> list[Any]:
    out: list[Any] = []
    for path in located.files:
        for _, items in iter_batches(path):
            out += items.to_pylist() if hasattr(items, "to_pylist") else list(items)
    return out


def _key(text: str) -> bytes:
    return rules.match_form(text)


class PreferenceBuild:
    """Collects the pairs of every part, then splits and writes them (see module docstring)."""

    def __init__(self, system: str, cfg: rules.RuleConfig, held_out: set[bytes], seed: int) -> None:
        self.system, self.cfg, self.held_out, self.seed = system, cfg, held_out, seed
        self.stats: dict[str, PartStats] = {}
        self.meta: dict[str, dict[str, Any]] = {}
        self.kept: list[tuple[str, int, dict]] = []  # part, row, output row
        self.rejects: list[str] = []
        self._seen: set[bytes] = set()

    def _reject(self, part: str, row: int, rule: str, detail: str, data: Any) -> None:
        self.stats[part].rejected[rule] += 1
        record = {"source": f"preference:{part}", "row": row, "rule": rule, "detail": detail, "data": data}
        try:
            self.rejects.append(json.dumps(record, ensure_ascii=False, allow_nan=False))
        except (TypeError, ValueError):
            record["data"] = repr(data)
            self.rejects.append(json.dumps(record, ensure_ascii=False))

    def add_part(self, part: str, rows: list[Any], columns: dict[str, str], cfg: rules.RuleConfig | None = None,
                 **meta: Any) -> None:
        cfg = cfg or self.cfg
        st = self.stats[part] = PartStats()
        self.meta[part] = meta
        valid: list[tuple[int, dict, list[str]]] = []  # row, record, (prompt, chosen, rejected)
        for i, record in enumerate(rows):
            st.read += 1
            if isinstance(record, (bytes, bytearray)):
                record = parse_line(bytes(record))
            if isinstance(record, Unparseable):
                self._reject(part, i, rules.PARSE_ERROR, record.reason, record.raw)
                continue
            if not isinstance(record, dict):
                self._reject(part, i, rules.WRONG_TYPE, "not an object", record)
                continue
            values = [record.get(columns[c]) for c in _PREF_COLUMNS]
            if not all(isinstance(v, str) for v in values):
                bad = [c for c, v in zip(_PREF_COLUMNS, values) if not isinstance(v, str)]
                self._reject(part, i, rules.WRONG_TYPE, f"{bad[0]}: not text", record)
                continue
            valid.append((i, record, values))
        # One pass of the cleaning chain per side over the whole part: the rules are vectorised, and a call per
        # pair cost the offline build most of its time.
        prompts = rules.texts([v[0] for _, _, v in valid])
        with_chosen = rules.clean_batch(prompts, rules.texts([v[1] for _, _, v in valid]), cfg)
        with_rejected = rules.clean_batch(prompts, rules.texts([v[2] for _, _, v in valid]), cfg)
        for j, (i, record, _) in enumerate(valid):
            rule, detail = with_chosen.drops.get(j, (None, ""))
            detail = detail.replace("response:", "chosen:")
            if rule is None:
                rule, detail = with_rejected.drops.get(j, (None, ""))
                detail = detail.replace("response:", "rejected:")
            if rule is not None:
                self._reject(part, i, rule, detail, record)
                continue
            p1, c1 = with_chosen.users[j].as_py(), with_chosen.responses[j].as_py()
            r1 = with_rejected.responses[j].as_py()
            if _key(c1) == _key(r1):
                self._reject(part, i, IDENTICAL_PAIR, "chosen and rejected are the same answer", record)
                continue
            if _key(p1) in self.held_out:
                self._reject(part, i, IN_VALIDATION, "prompt is a validation, human-evaluation or held-out "
                                                     "crisis question", record)
                continue
            pair_key = _key(p1) + b"\x1f" + _key(c1) + b"\x1f" + _key(r1)
            if pair_key in self._seen:
                self._reject(part, i, rules.DUPLICATE, "repeats an earlier preference pair", record)
                continue
            self._seen.add(pair_key)
            st.kept += 1
            st.touched.update(k for out in (with_chosen, with_rejected) for k, m in out.touched.items() if m[j])
            self.kept.append((part, i, {"system": self.system, "instruction": p1, "input": "",
                                        "chosen": c1, "rejected": r1}))
        if st.read != st.kept + sum(st.rejected.values()):
            raise EaiError(f"preference part '{part}': read {st.read} rows but kept {st.kept} + rejected "
                           f"{sum(st.rejected.values())}; this is a bug in the build (please report it)")

    def split(self) -> tuple[list[dict], list[dict]]:
        """A seeded tenth of each part's kept pairs (by prompt, at least one when a part keeps 2+) to val."""
        train, val = [], []
        by_part: dict[str, list[tuple[int, int, dict]]] = {}
        for part, row, out in self.kept:
            score = zlib.crc32(f"{self.seed}:".encode() + _key(out["instruction"]))
            by_part.setdefault(part, []).append((score, row, out))
        for part, items in by_part.items():
            n_val = max(1, len(items) // VAL_SHARE) if len(items) >= 2 else 0
            to_val = {row for _, row, _ in sorted(items)[:n_val]}
            for _, row, out in sorted(items, key=lambda t: t[1]):
                (val if row in to_val else train).append(out)
                st = self.stats[part]
                if row in to_val:
                    st.in_val += 1
                else:
                    st.in_train += 1
        return train, val

    def manifest(self) -> dict[str, Any]:
        parts = {}
        for part, st in self.stats.items():
            parts[part] = {**self.meta[part], "read": st.read, "kept": st.kept,
                           "rejected": sum(st.rejected.values()),
                           "rejected_by_rule": dict(sorted(st.rejected.items())),
                           "touched_by_scrub": dict(sorted(st.touched.items())),
                           f"in_{PREF_TRAIN}": st.in_train, f"in_{PREF_VAL}": st.in_val}
        return {
            "parts": parts,
            "totals": {k: sum(p[k] for p in parts.values())
                       for k in ("read", "kept", "rejected", f"in_{PREF_TRAIN}", f"in_{PREF_VAL}")},
        }


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def safety_rows(crisis_file: Path) -> list[dict]:
    """Crisis messages of a labelled set -> (message, crisis reply, a reply that ignores the risk)."""
    from eai_recipes import safety

    out = []
    for i, row in enumerate(r for r in _jsonl(crisis_file) if r.get("crisis")):
        out.append({"prompt": row["text"], "chosen": safety.crisis_reply(category=row.get("category")),
                    "rejected": IGNORES_RISK[i % len(IGNORES_RISK)]})
    return out


def identity_rows(identity_file: Path, placeholders: dict[str, str]) -> list[dict]:
    """Identity questions -> (question, EAI's answer, a claim to be another model or company)."""
    out = []
    for i, row in enumerate(json.loads(identity_file.read_text(encoding="utf-8"))):
        out.append({"prompt": rules.fill_placeholders(row["instruction"], placeholders),
                    "chosen": rules.fill_placeholders(row["output"], placeholders),
                    "rejected": OTHER_IDENTITY[i % len(OTHER_IDENTITY)]})
    return out


def crisis_prompt_rows(heldout_file: Path, system: str) -> list[dict]:
    """The held-out crisis messages as an Alpaca prediction set; the label is the deployed crisis reply."""
    from eai_recipes import safety

    return [{"system": system, "instruction": r["text"], "input": "",
             "output": safety.crisis_reply(category=r.get("category")), "history": []}
            for r in _jsonl(heldout_file) if r.get("crisis")]


def held_out_keys(val_file: Path, humaneval_file: Path | None, heldout_crisis: Path) -> set[bytes]:
    keys = {_key(r["instruction"]) for r in json.loads(val_file.read_text(encoding="utf-8"))}
    if humaneval_file is not None and humaneval_file.is_file():
        keys |= {_key(q["question"]) for q in json.loads(humaneval_file.read_text(encoding="utf-8"))}
    keys |= {_key(r["text"]) for r in _jsonl(heldout_crisis)}
    return keys


def locate_preference(*, info_dir: Path, registry_path: Path, cfg: rules.RuleConfig, mode: str,
                      local_dir: Path | None, token: str | None, log, fetch=None) -> list[tuple[PrefSource, Located]]:
    """Find (download, from the hub) and column-check every preference source: done with the SFT sources,
    before any row is processed."""
    kwargs = {"fetch": fetch} if fetch else {}
    located = [(p, locate(p.source, mode=mode, info_dir=info_dir, local_dir=local_dir, token=token, log=log,
                          **kwargs)) for p in load_preference_sources(registry_path, cfg)]
    for p, loc in located:
        check_pref_schema(loc, p)
    return located


def build_preference(tmp: Path, located: list[tuple[PrefSource, Located]], *, info_dir: Path,
                     cfg: rules.RuleConfig, system: str, placeholders: dict[str, str], seed: int,
                     log) -> tuple[dict[str, Any], list[str], list[dict], dict[str, str]]:
    """Write tmp/eai_pref.json, tmp/eai_pref_val.json and tmp/eai_crisis.json (after eai_val.json exists in
    tmp). Returns (manifest section, rejects.jsonl lines, dataset_info entries, licences)."""
    crisis_dir = info_dir / "crisis"
    heldout = crisis_dir / "heldout.jsonl"
    humaneval = info_dir / "humaneval_questions.json"
    build = PreferenceBuild(system, cfg, held_out_keys(tmp / "eai_val.json", humaneval, heldout), seed)
    licences = {}
    for p, loc in located:
        build.add_part(p.source.key, _rows(loc), p.columns, p.source.rules, hub_id=p.source.hub_id,
                       revision=p.source.revision, resolved_commit=loc.commit, licence=p.source.licence,
                       origin=loc.origin, files=list(loc.names))
        licences[p.source.hub_id] = p.source.licence
    ours = "Apache-2.0 (eai-recipes)"
    same = {c: c for c in _PREF_COLUMNS}
    build.add_part("safety_crisis", safety_rows(crisis_dir / "labelled.jsonl"), same,
                   dataclasses_replace_min(cfg), licence=ours, origin="shipped",
                   files=["dataset_info/crisis/labelled.jsonl"])
    build.add_part("safety_identity", identity_rows(info_dir / "identity.json", placeholders), same,
                   dataclasses_replace_min(cfg), licence=ours, origin="shipped", files=["dataset_info/identity.json"])
    train, val = build.split()
    crisis = crisis_prompt_rows(heldout, system)
    out_files = {PREF_TRAIN: train, PREF_VAL: val, CRISIS_PROMPTS: crisis}
    outputs = {}
    for name, rows in out_files.items():
        path = tmp / f"{name}.json"
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        outputs[f"{name}.json"] = {"rows": len(rows)}
    section = build.manifest()
    section["outputs"] = outputs
    section[f"{CRISIS_PROMPTS}_from"] = "dataset_info/crisis/heldout.jsonl (crisis: true rows)"
    entries = [{"name": PREF_TRAIN, "file_name": f"{PREF_TRAIN}.json", "ranking": True},
               {"name": PREF_VAL, "file_name": f"{PREF_VAL}.json", "ranking": True},
               {"name": CRISIS_PROMPTS, "file_name": f"{CRISIS_PROMPTS}.json"}]
    t = section["totals"]
    log(f"data:   preference: read {t['read']:,}, kept {t['kept']:,}, rejected {t['rejected']:,} -> "
        f"{PREF_TRAIN} {len(train):,} pairs, {PREF_VAL} {len(val):,} pairs; {CRISIS_PROMPTS} {len(crisis):,} prompts")
    return section, build.rejects, entries, licences


def dataclasses_replace_min(cfg: rules.RuleConfig) -> rules.RuleConfig:
    """Our own short pairs (identity questions like "hi", crisis messages of three words) pass the length
    rules as the identity sources do (min_words user 1, response 3); every other rule applies."""
    import dataclasses

    return dataclasses.replace(cfg, min_words={"user": 1, "response": 3})
