"""A few readable patterns that combine the concepts of `lexicons` into findings.

Two kinds of finding:

- **strong**, inside one sentence: an act with oneself as its object and a wish or intent ("I want to" +
  "die"), a wish to be dead, a lethality question, self-harm, intent to harm another person, danger from
  another person, an emergency happening now, a third person in danger. Each is a `crisis` on its own.
- **weak**, anywhere in a message (or in the recent turns of a conversation): a means, getting a means, a plan,
  a decision, a timing, a preparation, a farewell, a past attempt, hopelessness, a vague act ("do it", "go
  through with it"). One alone is a `concern`; two different kinds together are a `crisis` (a decision and a
  date, a means and a goodbye, hopelessness and a plan).

Before a match counts, vetoes are checked near it: negation ("I would never ..."), an idiom ("this traffic is
killing me"), a joke about an everyday thing ("... another meeting I'll shoot myself lol"), a story, game,
lesson or news item that the risk belongs to, an ordinary medication question, and something in the past with
recovery described.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from eai_recipes.safety import lexicons as lx

CATEGORIES = ("suicide", "self_harm", "harm_others", "danger")
WEAK_KINDS = ("means", "acquire", "plan", "decision", "timing", "preparation", "farewell", "past_act", "hopeless",
              "vague_act", "farewell2", "exit", "secret_means", "other_gone", "amount_q")


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _before(pattern: str) -> re.Pattern[str]:
    """What must stand right before a rule's core. Rules that combine a common opening ("I ... want to") with
    a rarer act ("die") scan for the act and then look back: scanning for the opening at every "I" and trying
    every act after it made long messages slow."""
    return re.compile("(?:" + pattern + r")$")


ADV = lx.ADV
GAP = r"[^.!?,;]{0,40}?"  # a bounded stretch of words inside one clause

# Wounds with an ordinary cause; the present act that a stated recovery does not cover.
WOUND_BENIGN = (r"gym|workout|marathon|\brun\b|running|training|climb\w*|sun\w*|eczema|psoriasis|mosquito|bites|"
                r"rash|cold|wind|tattoo|surgery|operation|chemo|brambles|cat|dog|allerg\w*|hay ?fever|gardening")
PRESENT_ACT = _c(r"\b(?:again|relapsed?|started (?:back|up)|(?:is|are) back|came back|last night|tonight|yesterday|"
                 r"this (?:week|morning|evening)|right now)\b")
# Death said outright in a lethality question: an ordinary medication context does not take it back.
DEATH_WORDS = _c(r"\b(?:to die|kill (?:me|myself)|end it|not wake up|never wake up|stop my heart|be fatal|be lethal)\b")

# id -> (category, why, pattern[, what must stand right before it]). Strong findings: each one is a crisis
# unless a veto applies.
STRONG: dict[str, tuple] = {
    "suicide.explicit": ("suicide", "says outright that they want to end their life", _c(
        r"\b(?P<k>quiero morir|me quiero matar|je veux mourir|ich will (?:nicht mehr leben|sterben)|voglio morire|"
        r"quero morrer|ik wil dood|kill(?:ing)? myself|tak(?:e|ing) my (?:own )?life|end(?:ing)? my (?:own )?life|"
        r"off(?:ing)? myself|"
        r"commit(?:ting)? suicide|suicidal|unalive)\b")),
    "suicide.keyword": ("suicide", "speaks of suicide about themselves", _c(
        r"\b(?P<k>suicid\w*)")),
    "suicide.intent": ("suicide", "a wish or intent combined with dying or a method", _c(
        r"\b(?P<k>" + lx.alt(lx.DIE, lx.METHOD_SELF) + r")\b"), _before(r"\b" + lx.INTENT + r" " + ADV)),
    "suicide.method": ("suicide", "a method with themselves as its object", _c(r"\b" + lx.METHOD_SELF.replace(
        r"(?:overdose|od|overdosing)", r"overdos(?:e|ing) (?:on|tonight|now)") + r"\b(?! \w+ (?:in the|the) game)")),
    "suicide.wish_dead": ("suicide", "wishes to be dead or sees no reason to live", _c(r"\b" + lx.WISH_DEAD + r"\b")),
    "suicide.lethality": ("suicide", "asks how much or how high would be lethal", _c(
        r"\b" + lx.LETHAL_Q + r"|\b" + lx.AMOUNT_Q + r" (?:of )?(?:\w+ ){0,3}?" + lx.MEDICINE + r"\b[\w' ]{0,40}?\b"
        + lx.LETHAL_END + r"|\b(?:would|will|is|are) (?:\d+|a (?:box|packet|bottle|handful|strip)) (?:of )?"
        r"(?:\w+ ){0,2}?" + lx.MEDICINE + r" (?:be )?" + lx.LETHAL_END)),
    "suicide.relief_others": ("suicide", "says others would be better off if they did not exist", _c(
        r"\b" + lx.RELIEF_OTHERS + r"\b[\w ,']{0,40}\bif i (?:just |simply )?" + lx.NOT_EXISTING + r"\b|\bif i "
        r"(?:just |simply )?" + lx.NOT_EXISTING + r"\b[\w ,']{0,30}\b" + lx.RELIEF_OTHERS + r"\b")),
    "self_harm.act": ("self_harm", "describes hurting themselves", _c(r"\b" + lx.SELF_HARM + r"\b")),
    "self_harm.starving": ("self_harm", "has stopped eating for days and means to go on", _c(
        r"\b(?P<k>" + lx.NOT_EATING + r")\b[\w ,']{0,40}?\b" + lx.EAT_INTENT)),
    "self_harm.wounds": ("self_harm", "describes wounds on their body", _c(
        r"\b(?:" + lx.WOUND + r")\b(?![\w ,']{0,40}(?:" + WOUND_BENIGN + r"))")),
    "self_harm.relapse": ("self_harm", "says self-harm has started again", _c(
        r"\b(?P<k>cut|cutting|self[- ]?harm\w*|(?:hurt|harm|burn)\w* myself)\b[\w ,']{0,40}?\b(?:(?:started|start|"
        r"starting|began|doing it|did it|done it|back)(?: (?:it|that|doing it))? again|relapsed)\b")),
    "harm_others.intent": ("harm_others", "a wish or intent to harm another person", _c(
        r"\b(?P<k>" + lx.HARM_VERB + r")\w* (?:up )?" + lx.OTHER + r"\b"), _before(
        r"(?:^|\b(?:i|me)\b" + GAP + r")" + lx.alt(lx.INTENT, "urges? to", "thoughts? (?:of|about)", "picture",
                                                   "imagine", "images? of", "scared i (?:will|might|would)",
                                                   "voices?") + r" " + ADV
        + r"(?:[\w']+ ){0,5}?(?:and |then )?")),
    "harm_others.attack": ("harm_others", "an attack with a weapon on a place or on people", _c(
        r"\b(?:bring|take|bringing|taking) (?:a|my|dad's|the) (?:gun|knife|rifle|weapon|bomb) (?:to|into) "
        r"(?:school|work|class|church|the office|college|uni|the party)|\bshoot up (?:the|my|a)\b|"
        r"\bgoing (?:round|over|to)\b[\w' ]{0,30}\bwith (?:a|my|the) (?:bat|knife|gun|hammer|machete|crowbar|blade)\b|"
        r"\b(?:list of|people)\b[\w' ]{0,40}\b(?:will|going to) (?:regret|pay)\b|"
        r"\b(?:thoughts?|pictures?|images?|flashes|visions?|urges?|voices?|voice|impulses?)\b[\w' ]{0,40}?\b(?:of|"
        r"about|to|says|tells|commanding|ordering)\b[\w' ]{0,25}?\b" + lx.HARM_VERB + r"\w* " + lx.OTHER + r"\b|"
        r"\b(?:commanding|ordering|telling|forcing) me to " + lx.HARM_VERB + r"|"
        r"\bmake (?:him|her|them|everyone|those \w+|all of them) (?:all )?(?:pay|regret|suffer)\b|"
        r"\bvoices?\b" + GAP + r"\b(?:tell|telling|told|want|order\w*|say|says) (?:me )?(?:to )?" + lx.HARM_VERB)),
    "danger.from_another": ("danger", "another person threatens or hurts them", _c(
        r"\b(?P<k>" + lx.alt(lx.HARM_VERB + r"s?", lx.HARM_VERB_ED) + r") (?:up )?" + lx.VICTIM + r"\b"), _before(
        r"\b" + lx.PERP + r" (?:is |was |has |had |have |are |keeps? )?" + ADV + r"(?:(?:threatened|threatens|"
        r"threatening|said|says|swore|told me|keeps? saying|promised)" + GAP + r"|(?:will|is going to|going to|"
        r"would|wants to|tried to|keeps?|has been|always|often|might|could|did|started to|is)\s+" + ADV + r")?")),
    "danger.state": ("danger", "is unsafe, followed, forced or abused", _c(r"\b" + lx.DANGER_STATE + r"\b")),
    "danger.emergency": ("danger", "an emergency is happening now", _c(r"\b" + lx.EMERGENCY_NOW + r"\b")),
    "suicide.third_person": ("suicide", "someone else is at risk of ending their life or hurting themselves", _c(
        r"\b" + lx.OTHER + r"\b" + GAP + r"\b(?:(?:kill|take|tak)(?:ing|ed|en|e)? " + lx.THIRD_SELF
        + r"|end(?:ing|ed)? " + lx.THIRD_SELF + r"|suicid\w*|overdos\w*|"
        r"(?:cut|cutting|hurt|hurting|harm|harming|burn|burning|"
        r"starv\w+) " + lx.THIRD_SELF + r"|self[- ]?harm\w*|(?:wants?|want|going|planning|plans|ready) to "
        r"(?:die|end it|jump)|(?:took|swallowed) (?:all|a lot|a load|a bunch|loads|too many|a handful|the whole)\b|"
        r"(?:a )?(?:suicide )?note|goodbye (?:message|text|letter))")),
}

# Signs spread over a message's sentences that are a crisis only together: an adult, a minor and a secret or a
# meeting alone (grooming); a grievance paid back where everyone is gathered; the old habit back and the arms hidden.
MESSAGE: dict[str, tuple[str, str, tuple[re.Pattern[str], ...]]] = {
    "danger.grooming": ("danger", "an adult arranging a secret or lone meeting with a minor", (
        _c(r"\b(?:(?:he|she) is (?:like |nearly |almost )?(?:1[89]|[2-9]\d)\b(?! (?:minutes|mins|seconds|percent))|"
           r"(?:much |way )?older (?:man|guy|woman|boyfriend)|(?:he|she) is (?:an adult|way older|much older))"),
        _c(r"\b(?:mature for my age|i am (?:1[0-7]|thirteen|fourteen|fifteen|sixteen|seventeen)\b|"
           r"tell (?:my )?(?:mum|mom|parents|dad)|high school|year (?:9|10|11|nine|ten|eleven))"),
        _c(r"\b(?:(?:told|said|asked)(?: me)? (?:not to|to not|never to) tell|(?:our|a) (?:little )?secret|keep "
           r"(?:it|this|us) (?:a )?secret|delete (?:our|the|his|her) (?:chats?|messages?|texts?)|pick me up|"
           r"just (?:us|the two of us)|(?:come|go) (?:back )?to (?:his|her) (?:place|flat|house|hotel))"))),
    "harm_others.veiled": ("harm_others", "a grievance to be paid back where the others are gathered", (
        _c(r"\b(?:(?:understand|know|feel|learn) how (?:they|it|he|she) (?:made|make) me feel|(?:nobody|no one) "
           r"(?:will|is going to) (?:ever )?(?:laugh at|mock|humiliate|look down on) me (?:again|any ?more)|"
           r"(?:they|he|she) will (?:all )?(?:regret|be sorry)|(?:find out|learn) what it (?:feels|is) like)"),
        _c(r"\b(?:(?:they|everyone|all of them) will (?:all )?be (?:in|at) (?:one|the same) (?:room|place|building)|"
           r"all[- ]hands|(?:the|our) (?:staff|team|company|department) meeting|when (?:they|everyone) (?:are|is) "
           r"all (?:together|there))"))),
    "self_harm.hidden": ("self_harm", "an old way of coping back and the arms kept hidden", (
        _c(r"\b(?:long sleeves|hoodies?|jumpers?)\b[\w ,']{0,20}\b(?:in|during|even in|when it is) (?:the )?(?:summer|"
           r"july|august|june|heat|heatwave|\d+ degrees|hot weather)"),
        _c(r"\b(?:(?:thing|things|habit|stuff)(?: that)? i used to do\b[\w ,']{0,40}\b(?:is back|are back|came back|"
           r"again)|(?:old|bad) (?:habit|habits|coping) (?:is|are) back)"))),
}


def message_findings(norm: str) -> tuple[Finding, ...]:
    """Findings that need signs from several sentences of one normalised message."""
    return tuple(Finding(rule_id, category, why, True) for rule_id, (category, why, parts) in MESSAGE.items()
                 if all(p.search(norm) for p in parts))


# Weak findings: kind -> pattern. Each counts once per kind.
WEAK: dict[str, re.Pattern[str]] = {
    "means": _c(r"\b(?:my|the|a|some|these|those|enough|all|of|bottle of|box of|packet of|pack of|stash of|"
                r"loaded|dad's|mum's|mom's)\s(?:\w+\s)?" + lx.MEANS + r"\b"),
    "acquire": _c(r"\b" + lx.ACQUIRE + r"\b" + GAP + r"\b" + lx.MEANS + r"\b|\b" + lx.MEANS + r"\b" + GAP + r"\b"
                  r"(?:saved|stockpiled|ready|hidden|stashed|in my (?:bag|car|drawer|room|pocket|wardrobe))"),
    "amount_q": _c(r"\b" + lx.AMOUNT_Q + r" (?:of )?(?:\w+ ){0,3}?" + lx.MEDICINE + r"\b"),
    "plan": _c(r"\b(?<!in )" + lx.PLAN + r"\b"),  # not "in practice"
    "decision": _c(r"\b" + lx.DECISION + r"\b"),
    "timing": _c(r"\b" + lx.TIMING + r"\b"),
    "preparation": _c(r"\b" + lx.PREPARATION + r"\b"),
    "farewell": _c(r"\b" + lx.FAREWELL + r"\b"),
    "past_act": _c(r"\b" + lx.PAST_ACT + r"\b"),
    "hopeless": _c(r"\b" + lx.HOPELESS + r"\b"),
    "exit": _c(r"\b" + lx.EXIT + r"\b"),
    "farewell2": _c(r"\b" + lx.FAREWELL_STRONG + r"\b"),
    "secret_means": _c(r"\b" + lx.SECRET_MEANS + r"\b"),
    # Another person gone, wished for by the writer: with a means or a plan, a threat to that person.
    "other_gone": _c(r"\bif (?:he|she|they|him|her) (?:just )?(?:was not|were not|was gone|were gone|died|disappeared|"
                     r"was dead)(?: here| around)?\b"),
    "vague_act": _c(r"\b(?:(?:keep|can not stop) thinking about (?:it|them|that)|do it|doing it|"
                    r"go through with (?:it|this)|follow through|end (?:it|things)(?! with)"
                    r"(?: all)?|the (?:way out|exit)|make it stop|be free|not (?:be|being) here|be gone|"
                    r"one way or another|before i (?:go(?! (?:any )?further| on)|leave|do it))\b"),
}
# Kinds that need a partner to be a crisis but, alone, are still ordinary life (a date, feeling hopeless).
SOFT_KINDS = frozenset({"timing", "hopeless", "vague_act", "plan"})
# Soft kinds that are a crisis together: the act and how ("planning how I would do it"), the act and despair.
SOFT_CRISIS = (frozenset({"plan", "vague_act"}), frozenset({"hopeless", "vague_act"}))

IDIOM = _c(r"\b" + lx.IDIOM + r"\b|\brather (?:die|be dead) than (?:give|do|make|sit through|present|speak) "
           r"(?:a|the|my|that|this|in)\b")
FRAME = _c(r"\b" + lx.FRAME + r"\b")
INFO = _c(r"\b" + lx.INFO + r"\b")
HYPERBOLE_FRAME = _c(r"\b" + lx.JOKE_FRAME + r"\b")
MEDICAL = _c(r"\b" + lx.MEDICAL + r"|\b(?:(?:is|are) (?:it |that )?safe|(?:should|do|can) i (?:take|give)|"
             r"per day|times a day|by accident|before (?:meals?|dinner|breakfast|lunch|food|bed)|with food)\b")
PAST = _c(r"\b" + lx.PAST + r"\b|\b(?:from|between) (?:about |around |age |the ages? of )?\d+ (?:to|until|till|and) "
          r"(?:about |around )?\d+\b")
RECOVERED = _c(r"\b" + lx.RECOVERED + r"\b|\bclean (?:for |since )?(?:\d+|a|one|two|three|four|five|a few|several|"
               r"many|over a) (?:years?|months?)\b|\bstopped (?:\w+ )?(?:years|months|a long time) ago\b")
CLARIFY = _c(r"\b" + lx.CLARIFY + r"\b")
# "i was joking. mostly", "half kidding": a hedged take-back takes nothing back.
HEDGED = _c(r"\b(?:half|kind of|kinda|sort of|sorta|partly|mostly|semi)[ -]?(?:joking|kidding)\b|"
            r"\b(?:joking|kidding)\W+(?:\w+\W+)?(?:mostly|kind of|kinda|sort of|sorta|maybe|partly|or not|ish|unless|"
            r"or am i|or was i|not really)\b")
JOKE_MARK = _c(lx.JOKE_MARK)
JOKE_OBJECT = _c(r"\b" + lx.alt(lx.JOKE_OBJECT, lx.JOKE_FRAME) + r"\b")
MEANS_EVERYDAY = _c(r"\b" + lx.MEANS_EVERYDAY + r"\b|\bon (?:my|the|her|his|a) tablet\b")
LIFE_EVENT = _c(r"\b" + lx.LIFE_EVENT + r"\b")
JOKE_UNLESS = _c(r"\b(?:not (?:joking|kidding)|i mean it|for real|seriously|any ?more|any longer|live|living|life|"
                 r"alive|like this|go on|tonight|pills|plan|goodbye)\b")
UNCERTAIN = _c(lx.UNCERTAIN)
POST_NEGATION = _c(lx.POST_NEGATION)
CLAUSE_BREAK = _c(r".*(?:,|:|\b(?:but|although|though|however|yet|except|and then|so|because|whereas|while)\b)")
FIRST_PERSON = _c(r"\b(?:i|me|my|myself|mine)\b")
OTHER_SUBJECT = _c(r"\b(?:he|she|they|him|her|them|his|their|(?:my|our|a) (?:\w+ )?" + lx.KIN + r")\b")
ACCIDENT = _c(r"\b(?:on (?:the|a) (?:cupboard|door|table|shelf|ceiling|car door|corner|doorframe|wall by accident)|"
              r"accident\w*|by mistake|trip\w*|slipp?\w*|fell|falling|chopping|cooking|baking|shaving|"
              r"oven|stove|iron|kettle|knife slipped|paper ?cut|gardening|diy|on the (?:oven|stove|pan))\b")
COMPULSION = _c(r"\b(?:but|yet|and|though)\b[^.!?]{0,40}\b(?:can not (?:stop|help) (?:it|myself|doing it|the urges?)\b|"
                r"can not stop(?= *$)|keep doing it|do it anyway|"
                r"end up doing it|the urges? (?:is|are) too strong)")
REACH = 120  # how far around a match the vetoes look, so that one part of a long message does not veto another


@dataclass(frozen=True)
class Finding:
    id: str
    category: str
    why: str
    first_person: bool


def negated(sentence: str, start: int, end: int) -> bool:
    """Whether the phrase at sentence[start:end] is negated just before it or just after it."""
    prefix = sentence[max(0, start - REACH):start]
    clause = CLAUSE_BREAK.match(prefix)
    words = re.findall(r"[a-z']+", prefix[clause.end():] if clause else prefix)
    hit = False
    for i in range(len(words) - 1, max(-1, len(words) - 9), -1):
        if words[i] in lx.NEGATORS:
            hit = not UNCERTAIN.search(" ".join(words[:i]))
            break
        if words[i] not in lx.NEG_FILLER:
            break
    hit = hit or bool(POST_NEGATION.match(sentence[end:end + REACH]))
    return hit and not COMPULSION.search(sentence[end:end + REACH])


def _joke(zone: str) -> bool:
    """A joke marker with an everyday object or a hyperbole's frame, and nothing about life itself."""
    return bool(JOKE_MARK.search(zone) and JOKE_OBJECT.search(zone) and not JOKE_UNLESS.search(zone))


def clarifies(norm: str) -> bool:
    """A turn that takes back what came before it (an idiom explained, a story named, a joke owned)."""
    return bool(CLARIFY.search(norm)) and not HEDGED.search(norm)


def _idiom_at(sentence: str, start: int, end: int) -> bool:
    """An idiom overlapping the match (not anywhere in the sentence: "my feet are killing me, I want to die")."""
    for m in IDIOM.finditer(sentence, max(0, start - 40), min(len(sentence), end + 40)):
        if m.start() < end and m.end() > start:
            return True
    return False


def strong_findings(sentence: str, next_sentence: str = "") -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    """Strong findings in one normalised sentence, and why the vetoed ones were vetoed (rule ids only). The
    next sentence counts only as a short follow-up ("jk"), so a longer one is left out of the cache's key: a
    long message's sentences are read again in its parts, followed by other sentences."""
    return _strong_findings(sentence, next_sentence if len(next_sentence.split()) <= 2 else "")


@functools.lru_cache(maxsize=1 << 14)
def _strong_findings(sentence: str, next_sentence: str) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    found: list[Finding] = []
    vetoes: list[str] = []
    for rule_id, (category, why, pattern, *before) in STRONG.items():
        for m in pattern.finditer(sentence):
            if before and not before[0].search(sentence, max(0, m.start() - REACH), m.start()):
                continue
            near = sentence[max(0, m.start() - REACH):m.end() + REACH]
            if _idiom_at(sentence, m.start(), m.end()):
                vetoes.append(f"idiom ({rule_id})")
                continue
            if category == "self_harm" and ACCIDENT.search(near) and not re.search(
                    r"\b(?:again|on purpose|another one|keep|every (?:night|day))\b", near):
                vetoes.append(f"accident ({rule_id})")
                continue
            if category in ("suicide", "self_harm", "harm_others") and _joke(near + " " + next_sentence):
                vetoes.append(f"a joke ({rule_id})")
                continue
            key = m.start("k") if "k" in pattern.groupindex and m.start("k") >= 0 else m.start()
            # A wish to be dead is itself mostly negative wording ("I don't see the point of waking up"):
            # it is not checked for negation.
            if rule_id != "suicide.wish_dead" and negated(sentence, key, m.end()):
                vetoes.append(f"negated ({rule_id})")
                continue
            # Only a bare keyword can be about someone else ("my brother is suicidal" is still a crisis,
            # "suicide rates" in a lesson is not: FRAME decides that in screen.py).
            first = rule_id != "suicide.keyword" or bool(FIRST_PERSON.search(near)) or not OTHER_SUBJECT.search(near)
            found.append(Finding(rule_id, category, why, first))
            break
    return tuple(found), tuple(vetoes)


@functools.lru_cache(maxsize=1 << 14)
def weak_findings(sentence: str) -> frozenset[str]:
    """The weak kinds in one normalised sentence (each not negated and not part of an idiom or a joke)."""
    kinds: set[str] = set()
    if _joke(sentence):
        return frozenset()
    for kind, pattern in WEAK.items():
        seen = 0
        for m in pattern.finditer(sentence):
            if negated(sentence, m.start(), m.end()) or _idiom_at(sentence, m.start(), m.end()):
                continue
            kinds.add(kind)
            seen += 1
            if kind not in ("farewell", "preparation") or seen == 2:
                break
        if seen >= 2:
            kinds.add("farewell2")  # two separate farewells ("my last message, thank you for everything")
    if "farewell" in kinds and "preparation" in kinds:
        kinds.add("farewell2")
    if kinds & {"acquire", "amount_q"}:
        kinds.discard("means")  # one piece of evidence, not two
    if MEANS_EVERYDAY.search(sentence):
        kinds -= {"means", "acquire", "amount_q"}
    if LIFE_EVENT.search(sentence):
        kinds -= {"exit", "farewell", "preparation", "decision", "farewell2"}
    if "secret_means" in kinds and not kinds & {"means", "acquire"} and not re.search(
            r"\b(?:edge|ledge|roof|cliffs?|platform|bridge|tracks|gun|rifle|pistol|knife|blade|axe|them|pills|tablets)\b",
            sentence):
        kinds.discard("secret_means")  # secrecy about something other than a means
    return frozenset(kinds)


# Hard kinds that are a crisis with a timing alone ("I've decided: Sunday"); others with a timing are a concern
# ("giving my old clothes away this weekend").
WITH_TIMING = frozenset({"decision", "acquire", "exit", "secret_means", "past_act", "means", "amount_q"})


def weak_level(kinds: set[str]) -> str:
    """crisis: a secret means; two separate farewells or preparations; a hard kind with another kind that is
    not a timing (or with a timing for `WITH_TIMING`); a soft pair of `SOFT_CRISIS`; three soft kinds.
    concern: a hard kind alone, or two soft kinds other than a timing. none: one soft kind alone."""
    hard = kinds - SOFT_KINDS
    soft = kinds & SOFT_KINDS
    if ("secret_means" in kinds or "farewell2" in kinds or (hard and len(kinds - {"timing"}) >= 2)
            or (hard & WITH_TIMING and "timing" in kinds) or len(soft) >= 3
            or any(p <= soft for p in SOFT_CRISIS)):
        return "crisis"
    if hard or len(soft - {"timing"}) >= 2 or {"vague_act", "timing"} <= soft:
        return "concern"
    return "none"
