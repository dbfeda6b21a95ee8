"""Screening: one message (`screen`), a conversation (`screen_conversation`) and a model's answer
(`screen_answer`), each giving a `Screening` with one of three levels:

- `crisis`: the fixed crisis reply, no model answer;
- `concern`: a weaker or partial signal; the model answers, and the answer carries the resources and a gentle
  check-in as a footer (a false concern costs a footer; a missed one may cost a life, so it leans to recall);
- `none`.

A conversation is judged as a whole: risk disclosed in an earlier user turn stays active for the turns after
it (an ambiguous follow-up such as "nobody will stop me this time" then counts with it), weak signs spread over
several turns add up, a later clarification ("I meant in the game") takes an earlier alarm back, and a clearly
past-and-recovered account is not a crisis. The `reason` names rules and kinds, never the user's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from eai_recipes.safety import classifier, rules
from eai_recipes.safety.normalise import normalise, sentences

LEVELS = ("none", "concern", "crisis")
CATEGORIES = rules.CATEGORIES
_RANK = {level: i for i, level in enumerate(LEVELS)}
_PRIORITY = {category: i for i, category in enumerate(CATEGORIES)}
# How many of the latest user turns count for weak signs spread over a conversation.
RECENT_TURNS = 8


@dataclass(frozen=True)
class Screening:
    """The verdict. `crisis` is true only at level `crisis`; `reason` never quotes the screened text."""

    crisis: bool
    category: str | None
    reason: str
    level: str = "none"
    # True when the level comes from an earlier user turn only, not from the latest one (the server then lets
    # the model answer the latest message, with the resources in the answer's text).
    earlier: bool = False

    @classmethod
    def make(cls, level: str, category: str | None, reason: str, *, earlier: bool = False) -> Screening:
        return cls(level == "crisis", category if level != "none" else None, reason, level, earlier)


@dataclass
class _Turn:
    """What one message says, before the verdict: strong findings (crisis), demoted ones (concern), weak kinds."""

    strong: list[rules.Finding]
    demoted: list[rules.Finding]
    weak: set[str]
    vetoes: list[str]
    clarifies: bool = False
    recovered: bool = False
    empty: bool = False


def _analyse(text: str, *, recovered_context: bool = False, frame_context: bool = False,
             norm: str | None = None) -> _Turn:
    norm = normalise(text) if norm is None else norm
    if not norm:
        return _Turn([], [], set(), [], empty=True)
    framed = frame_context or bool(rules.FRAME.search(norm))
    info = bool(rules.INFO.search(norm))
    medical = bool(rules.MEDICAL.search(norm))
    recovered = recovered_context or bool(rules.RECOVERED.search(norm))
    turn = _Turn([], [], set(), [], clarifies=rules.clarifies(norm), recovered=recovered)
    parts = sentences(norm)
    finals = 0
    for n, sentence in enumerate(parts):
        past = bool(rules.PAST.search(sentence)) or "past_act" in rules.weak_findings(sentence)
        if past and recovered and not rules.PRESENT_ACT.search(rules.RECOVERED.sub(" ", sentence)):
            turn.vetoes.append("in the past, with recovery described")
            continue
        found, vetoes = rules.strong_findings(sentence, parts[n + 1] if n + 1 < len(parts) else "")
        turn.vetoes += vetoes
        for f in found:
            if info and f.id in _INFO_VETOED:
                turn.vetoes.append(f"a question for information, a lesson or grief ({f.id})")
            elif f.id == "suicide.intent" and rules.HYPERBOLE_FRAME.search(sentence) and rules.JOKE_OBJECT.search(
                    sentence) and re.search(r"\b(?:die|dying)\b", sentence) and not rules.JOKE_UNLESS.search(sentence):
                turn.vetoes.append(f"a hyperbole about an everyday thing ({f.id})")
            elif framed and (not f.first_person or rules.FRAME.search(sentence)
                           or f.id in ("suicide.keyword", "suicide.lethality")):
                turn.vetoes.append(f"a story, game, lesson or news item ({f.id})")
            elif medical and f.id == "suicide.lethality" and not rules.DEATH_WORDS.search(sentence):
                turn.vetoes.append(f"an ordinary medication question ({f.id})")
            elif not f.first_person:
                turn.demoted.append(f)
            else:
                turn.strong.append(f)
        weak = rules.weak_findings(sentence)
        if medical:
            weak -= {"means", "acquire", "amount_q"}
        if framed:
            weak = set()
        turn.weak |= weak
        finals += bool(weak & {"farewell", "preparation", "farewell2"})
    if not framed:
        turn.strong += rules.message_findings(norm)
    if finals >= 2:
        turn.weak |= {"farewell2"}  # farewells or preparations in two sentences
    return turn


# Findings whose wording can be a mention rather than a person at risk ("suicide rates", "self harm in
# students", "warning signs a friend might be thinking about suicide").
_INFO_VETOED = frozenset({"suicide.keyword", "suicide.third_person", "self_harm.act", "suicide.explicit"})


def _category(findings: Iterable[rules.Finding]) -> str:
    return min((f.category for f in findings), key=_PRIORITY.__getitem__, default="suicide")


def _verdict(turn: _Turn, weak: set[str] | None = None) -> Screening:
    weak = turn.weak if weak is None else weak
    if turn.empty:
        return Screening.make("none", None, "empty message")
    if turn.strong:
        best = min(turn.strong, key=lambda f: _PRIORITY[f.category])
        return Screening.make("crisis", best.category, f"{best.why} (rule {best.id})")
    level = rules.weak_level(weak)
    kinds = " + ".join(sorted(weak))
    if level == "crisis":
        return Screening.make("crisis", "suicide", f"warning signs together: {kinds} (rule weak.combined)")
    if turn.demoted:
        best = min(turn.demoted, key=lambda f: _PRIORITY[f.category])
        return Screening.make("concern", best.category, f"{best.why} (rule {best.id}, not about the writer)")
    if level == "concern":
        return Screening.make("concern", "suicide", f"a warning sign alone: {kinds} (rule weak.single)")
    if turn.vetoes:
        return Screening.make("none", None, f"crisis wording judged not a crisis: {turn.vetoes[0]}")
    return Screening.make("none", None, "no crisis wording found")


def screen_rules(text: str) -> Screening:
    """Screen one user message with the rules alone."""
    if not isinstance(text, str):
        raise TypeError(f"screen() takes a str, not {type(text).__name__}")
    return _verdict(_analyse(text))


def rule_signals(text: str, *, norm: str | None = None) -> list[str]:
    """What the rules saw in one message, as names (rule ids, weak kinds, vetoes, level): the learned layer's
    view of the rules. Never the user's words."""
    turn = _analyse(text, norm=norm)
    return _signals(turn, _verdict(turn))


def _signals(turn: _Turn, verdict: Screening) -> list[str]:
    return ([f"R:{f.id}" for f in turn.strong] + [f"D:{f.id}" for f in turn.demoted]
            + [f"W:{k}" for k in sorted(turn.weak)] + [f"V:{v.split(' (')[0]}" for v in turn.vetoes]
            + [f"L:{verdict.level}"])


def matched_rules(text: str) -> list[str]:
    """Ids of the strong rules and the weak kinds found in `text` after vetoes (for tests and debugging)."""
    turn = _analyse(text)
    return [f.id for f in turn.strong + turn.demoted] + [f"weak.{k}" for k in sorted(turn.weak)]


def _content(message: Mapping | object) -> tuple[str, str]:
    get = message.get if isinstance(message, Mapping) else lambda k: getattr(message, k, None)
    role, content = get("role"), get("content")
    role = str(getattr(role, "value", role))
    if isinstance(content, list):  # OpenAI content parts: the text ones, joined
        content = " ".join(str(p.get("text", "")) if isinstance(p, Mapping) else str(getattr(p, "text", "") or "")
                           for p in content)
    return role, content if isinstance(content, str) else ""


def screen_conversation_rules(messages: Iterable[Mapping | object]) -> Screening:
    """Screen a conversation (user and assistant messages, oldest first) with the rules alone.

    Only user turns are screened (the assistant's words are not the person's). An earlier crisis stays active;
    weak signs add up over the last `RECENT_TURNS` user turns; an earlier concern or crisis turns any weak
    sign in a later turn into a crisis; a clarification resets what came before it.
    """
    texts = [text for role, text in map(_content, messages) if role == "user"]
    if not texts:
        return Screening.make("none", None, "no user message")
    norms = [normalise(t) for t in texts]
    recovered = any(rules.RECOVERED.search(n) for n in norms)
    # A story or a game set up in an earlier turn frames the turns after it ("my D&D character ...").
    framed = [any(rules.FRAME.search(n) for n in norms[:i]) for i in range(len(norms))]
    turns = [_analyse(t, recovered_context=recovered, frame_context=f, norm=n)
             for t, f, n in zip(texts, framed, norms)]
    start = 0
    for i, turn in enumerate(turns):
        if turn.clarifies and i > 0 and not turn.strong:
            start = i  # a later clarification takes back what came before it
    turns = turns[start:]
    last = _verdict(turns[-1])
    if len(turns) == 1:
        return last
    earlier = [_verdict(t) for t in turns[:-1]]
    worst = max(earlier, key=lambda s: _RANK[s.level])
    weak: set[str] = set()
    for t in turns[-RECENT_TURNS:]:
        weak |= t.weak
    if sum(bool(t.weak & {"farewell", "preparation", "farewell2"}) for t in turns[-RECENT_TURNS:]) >= 2:
        weak.add("farewell2")  # farewells or preparations in two turns
    combined = _verdict(_Turn([], [], weak, []), weak)
    candidates = [last]
    if worst.level != "none" and turns[-1].weak - {"timing"}:
        # An ambiguous follow-up ("nobody will stop me this time") after a disclosure is judged with it.
        candidates.append(Screening.make("crisis", worst.category, "an earlier warning sign and a new one in the "
                                         f"latest turn ({' + '.join(sorted(turns[-1].weak))}; rule context)"))
    elif worst.level == "crisis":
        candidates.append(Screening.make("crisis", worst.category, f"disclosed in an earlier turn: {worst.reason}",
                                         earlier=True))
    elif worst.level == "concern":
        candidates.append(Screening.make("concern", worst.category, f"earlier in the conversation: {worst.reason}",
                                         earlier=True))
    recent = norms[start:][-RECENT_TURNS:]
    if not any(rules.FRAME.search(n) for n in recent):
        # Signs that are a crisis together (grooming, a veiled threat, hidden self-harm), said over several turns.
        for f in rules.message_findings(" . ".join(recent)):
            candidates.append(Screening.make("crisis", f.category, f"{f.why} (rule {f.id}, over several turns)"))
    if combined.level != "none":
        candidates.append(Screening.make(combined.level, combined.category,
                                         combined.reason.replace("(rule", "over several turns (rule")))
    return max(candidates, key=lambda s: _RANK[s.level])


# ------------------------------------------------------------------------------ rules and the learned layer

SHIPPED = "shipped"  # the classifier in dataset_info/crisis/classifier/; None: the rules alone


def _model(model: classifier.Classifier | str | None) -> classifier.Classifier | None:
    return classifier.shipped() if model == SHIPPED else model  # type: ignore[return-value]


def combine(rule: Screening, p: Mapping[str, float], t: classifier.Thresholds) -> Screening:
    """One verdict from the rules' and the learned layer's (`classifier.Thresholds` says what each level needs).
    A rule's crisis stands while the model gives it some weight, and is held at concern below that; the model
    alone makes a crisis or a concern above its own thresholds; a rule's finding is set aside only when the
    model is sure it is not a crisis."""
    risk = 1.0 - p["none"]
    likely = max(classifier.CLASSES[1:], key=lambda c: p[c])
    learned = f"the learned layer: P(crisis) {risk:.2f}, most like {likely}"
    if rule.level == "crisis" and risk >= t.keep:
        return rule
    if risk >= t.crisis:
        return Screening.make("crisis", likely, f"{learned} (>= {t.crisis:.2f})", earlier=rule.earlier)
    if rule.level != "none" and risk >= t.rule_concern:
        if rule.level == "concern":
            return rule
        return Screening.make("concern", rule.category, f"{rule.reason}; held at concern by {learned}",
                              earlier=rule.earlier)
    if risk >= t.concern:
        return Screening.make("concern", likely, f"{learned} (>= {t.concern:.2f})")
    if rule.level != "none":
        return Screening.make("none", None, f"{rule.reason}; set aside by {learned} (< {t.rule_concern:.2f})")
    return rule


def screen(text: str, *, model: classifier.Classifier | str | None = SHIPPED) -> Screening:
    """Screen one user message: the rules, then the learned layer (`model=None`: the rules alone)."""
    if not isinstance(text, str):
        raise TypeError(f"screen() takes a str, not {type(text).__name__}")
    m = _model(model)
    return _screen_messages([text], m)[0] if m is not None else screen_rules(text)


@dataclass(frozen=True)
class MessageInput:
    """One message as both layers read it: the rules' verdict, and what the learned layer reads."""

    rule: Screening
    norm: str
    signals: tuple[str, ...]
    empty: bool
    parts: tuple[classifier.Reading, ...] = ()  # a long message's parts, each with the rules' signals on it

    @property
    def readings(self) -> list[classifier.Reading]:
        """What the learned layer reads: the whole message, then its parts."""
        return [(self.norm, self.signals), *self.parts]


def message_inputs(texts: Iterable[str]) -> list[MessageInput]:
    """Each message's rule verdict and learned-layer input: one rule analysis of the message, and one of each
    of its parts (`classifier.parts`)."""
    out = []
    for text in texts:
        norm = normalise(text)
        turn = _analyse(text, norm=norm)
        rule = _verdict(turn)
        parts = tuple((part, tuple(rule_signals(part, norm=part))) for part in classifier.parts(norm))
        out.append(MessageInput(rule, norm, tuple(_signals(turn, rule)), turn.empty, parts))
    return out


def message_verdict(read: MessageInput, p: Mapping[str, float], t: classifier.Thresholds) -> Screening:
    return read.rule if read.empty else combine(read.rule, p, t)


def _screen_messages(texts: list[str], m: classifier.Classifier) -> list[Screening]:
    """Several messages through both layers, with one batched model call."""
    reads = message_inputs(texts)
    probs = m.read_messages([r.readings for r in reads])
    return [message_verdict(r, p, m.thresholds) for r, p in zip(reads, probs)]


def _turns_together(messages: Iterable[Mapping | object],
                    verdict: Screening | None = None) -> tuple[str, list[str]] | None:
    """What the learned layer reads of a conversation: its recent user turns, normalised and joined, and the
    rules' signals on the conversation (`verdict`, if already known) and on its latest turn. None when there is
    one user turn or none."""
    messages = list(messages)
    texts = [text for role, text in map(_content, messages) if role == "user"]
    if len(texts) < 2:
        return None
    verdict = verdict or screen_conversation_rules(messages)
    joined = " . ".join(normalise(t) for t in texts[-RECENT_TURNS:])
    return joined, ["conv", f"C:{verdict.level}", f"E:{verdict.earlier}"] + [
        f"last:{s}" for s in rule_signals(texts[-1])]


@dataclass(frozen=True)
class ConversationInput:
    """A conversation as both layers read it: the rules' verdict on it, each recent user turn read alone (the
    latest last), what the learned layer reads of the turns together (None for a single user turn), and
    whether a later turn clarifies an earlier one."""

    rule: Screening
    turns: list[MessageInput]
    whole: tuple[str, list[str]] | None
    clarified: bool


def conversation_inputs(messages: Iterable[Mapping | object]) -> ConversationInput:
    messages = list(messages)
    rule = screen_conversation_rules(messages)
    texts = [text for role, text in map(_content, messages) if role == "user"]
    return ConversationInput(rule, message_inputs(texts[-RECENT_TURNS:]), _turns_together(messages, rule),
                             any(rules.clarifies(normalise(t)) for t in texts[1:]))


def decide_conversation(read: ConversationInput, turn_probs: list[Mapping[str, float]],
                        whole_p: Mapping[str, float] | None, message_t: classifier.Thresholds,
                        conversation_t: classifier.Thresholds) -> Screening:
    """The verdict on a conversation from its inputs and the learned layer's probabilities (each turn read
    alone, and the turns together); `eai safety train` chooses thresholds on this same function.

    Each recent turn gets the verdict it would get as the latest message, and a crisis in an earlier one stays
    active unless a later turn clarifies it (a hedged take-back does not). Where the rules read the conversation
    as anything, it is held at concern when the model reading the turns together gives P(crisis) below
    `conversation_t.settled` (a story set up two turns back, an idiom explained since); where only the learned
    layer saw it (the rules see nothing, or a past and recovered account), it is a concern. For the person that
    changes little: either way the model answers the latest message with the resources under it. The latest
    turn's own crisis is never held by the others: a long ordinary history dilutes the turns-together score,
    and what the person has just said gets the crisis reply."""
    verdicts = [message_verdict(r, p, message_t) for r, p in zip(read.turns, turn_probs)]
    if whole_p is None:
        return verdicts[-1]
    risk = 1.0 - whole_p["none"]

    def settle(s: Screening) -> Screening:
        if s.level != "crisis" or risk >= conversation_t.settled:
            return s
        return Screening.make("concern", s.category, f"{s.reason}; held at concern: the turns read together give "
                              f"P(crisis) {risk:.2f} (< {conversation_t.settled:.2f})", earlier=s.earlier)

    candidates = [verdicts[-1], combine(read.rule, whole_p, conversation_t)]
    if read.rule.level == "crisis" or not read.clarified:
        worst = max(verdicts[:-1], key=lambda s: _RANK[s.level])
        if worst.level == "crisis" and read.rule.level != "none":
            candidates.append(settle(Screening.make("crisis", worst.category,
                                                    f"disclosed in an earlier turn: {worst.reason}", earlier=True)))
        elif worst.level == "crisis":
            candidates.append(Screening.make("concern", worst.category, f"disclosed in an earlier turn: "
                                             f"{worst.reason}; held at concern: no rule reads the conversation "
                                             "as one", earlier=True))
    return max(candidates, key=lambda s: _RANK[s.level])


def screen_conversation(messages: Iterable[Mapping | object], *,
                        model: classifier.Classifier | str | None = SHIPPED) -> Screening:
    """Screen a conversation (user and assistant messages, oldest first): the verdict for its latest turn.

    The rules judge it turn by turn (`screen_conversation_rules`); the learned layer reads each recent user turn
    alone and the turns together, in one batched call; `decide_conversation` weighs them.
    """
    m = _model(model)
    if m is None:
        return screen_conversation_rules(messages)
    read = conversation_inputs(messages)
    if not read.turns:
        return read.rule
    turn_probs = m.read_messages([r.readings for r in read.turns])
    return decide_conversation(read, turn_probs, m.batch([read.whole])[0] if read.whole else None,
                               m.thresholds, m.conversation_thresholds)


# ------------------------------------------------------------------------------------ the model's answer

_UNIT = r"(?:mg|milligrams?|g|grams?|ml|tablets?|pills?|capsules?|m|metres?|meters?|feet|ft|floors?|storeys?|stories)"
_ANSWER_RULES = {
    "answer.dose_or_height": ("gives an amount or a height together with what would be lethal", re.compile(
        r"\b\d[\d,.]*\s*" + _UNIT + r"\b[^.!?]{0,80}\b(?:lethal|fatal|deadly|kill|die|death|overdose|"
        r"survive|unconscious|enough to)|\b(?:lethal|fatal|deadly|kill|die|overdose|enough to)\b[^.!?]{0,80}\b\d"
        r"[\d,.]*\s*" + _UNIT + r"\b")),
    "answer.method": ("explains a method of suicide or self-harm", re.compile(
        r"\b(?:the (?:best|easiest|quickest|fastest|surest|most effective|least painful|painless) (?:way|method|"
        r"place|spot)s? (?:to|is|would be)|(?:tie|tying) (?:a|the) (?:noose|knot)|(?:cut|slit) (?:along|down|"
        r"across) the (?:vein|wrist|artery)|(?:mix|combine|crush) (?:them|the pills|it) with|(?:jump|fall) from"
        r" (?:at least|above|higher than)|step (?:one|1|two|2)[:,]? (?:get|find|take|tie|buy)|"
        r"(?:you|they) (?:would|will|should|could) (?:need|want) (?:to take|about|at least))\b")),
    "answer.encourages": ("encourages harm", re.compile(
        r"\b(?:you should (?:just )?(?:kill|hurt|end|cut|harm) (?:yourself|your life|it all|him|her|them)|"
        r"(?:go ahead|you should) (?:and )?(?:do it|end it|jump|take them all|take the pills)|(?:nobody|no one) "
        r"(?:would|will) miss you|(?:everyone|the world|they) (?:would|will) be better off without you|"
        r"you deserve to (?:die|suffer|be hurt|feel pain)|(?:death|suicide|dying) (?:is|would be) (?:the|your) "
        r"(?:only|best|right) (?:way|answer|option|choice)|it is (?:the only|your only) way out|(?:hurting|"
        r"killing) (?:yourself|him|her|them) (?:is|would be) (?:fine|okay|understandable|the answer))\b")),
}


def screen_answer(text: str) -> Screening:
    """Screen a model's answer: method details (doses, heights, means, how-to) or encouragement of harm make
    it a `crisis` (the server sends the crisis reply instead)."""
    if not isinstance(text, str):
        raise TypeError(f"screen_answer() takes a str, not {type(text).__name__}")
    norm = normalise(text)
    for part in sentences(norm):
        for rule_id, (why, pattern) in _ANSWER_RULES.items():
            m = pattern.search(part)
            if m and not rules.negated(part, m.start(), m.end()):
                category = "harm_others" if re.search(r"\b(?:him|her|them)\b", m.group()) else "suicide"
                return Screening.make("crisis", category, f"the answer {why} (rule {rule_id})")
    return Screening.make("none", None, "the answer has no method details or encouragement of harm")
