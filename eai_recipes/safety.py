"""Crisis screening: every user message is checked before generation.

A message that expresses suicidal intent, self-harm, intent to harm others, or being in danger gets a fixed,
warm, human-first reply with crisis resources (`crisis_reply`) instead of, or before, the model's answer.

How it works (rules, no model: it has to run on every message inside the time-to-first-token budget):

1. `normalise` folds the text into one canonical form: Unicode NFKC, lower case, curly quotes, zero-width
   characters, censored or leetspeak spellings ("k!ll", "su1cide", "s*icide"), chat shorthand ("kms",
   "unalive", "wanna", "im", "dont") and contractions ("don't" -> "do not"), so that each rule is written
   once.
2. The text is split into sentences; each rule (`RULES`) is a regular expression over one sentence, with
   optional guards that veto a match: an idiom ("this traffic is killing me", "I could die of
   embarrassment"), an accident ("I nearly killed myself tripping"), a game or a trivial reason ("my mom
   will kill me if I'm late").
3. A match is dropped when it is negated right before it ("I would never hurt myself", "I have no plans to
   end my life", "I'm not suicidal") or right after it ("suicide has never crossed my mind"); a negation
   that is itself uncertain ("I can't promise I won't hurt myself") does not count.
4. Warning signs that are weak alone (means such as pills or a rope; finality such as a goodbye; despair
   such as "I can't take it anymore") fire when two kinds appear in the same message.

The errors are chosen to be the safe ones: when a sentence is ambiguous, a person in distress getting
resources is better than being missed. Measured figures on the shipped labelled and held-out sets are in
dataset_info/crisis/README.md (`eai safety evaluate`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from eai_recipes.errors import EaiError
from eai_recipes.paths import DATASET_INFO_DIR, ROOT

CATEGORIES = ("suicide", "self_harm", "harm_others", "danger")
CRISIS_DIR = DATASET_INFO_DIR / "crisis"
RESOURCES_FILE = CRISIS_DIR / "resources.yaml"
LABELLED_FILE = CRISIS_DIR / "labelled.jsonl"
HELDOUT_FILE = CRISIS_DIR / "heldout.jsonl"
# A batch written to test the screen on fresh wording, screened blind once before the rules were broadened for it.
FRESH_FILE = CRISIS_DIR / "fresh_2.jsonl"

# Goals from issue 6; `eai safety evaluate --check` and the tests hold the shipped sets to them.
RECALL_GOAL = 0.95
IDIOM_FPR_GOAL = 0.10


@dataclass(frozen=True)
class Screening:
    """The verdict on one message. `reason` explains the verdict without quoting the user's text."""

    crisis: bool
    category: str | None
    reason: str


# ---------------------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------------------

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": " - ", "\u2026": "..."})

# Words that people censor or misspell on purpose; a token with '*' or '#' inside is matched against them.
_CENSORED_WORDS = ("kill", "killing", "suicide", "suicidal", "die", "dead", "death", "myself", "hang", "cut",
                   "cutting", "unalive", "self", "harm", "rape", "raped")

_LEET = {"1": "i", "!": "i", "|": "i", "3": "e", "0": "o", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t"}

# Chat shorthand and apostrophe-less contractions, applied word by word (keys are whole tokens).
_SHORTHAND = {
    "kms": "kill myself", "kmsl": "kill myself", "unalive": "die", "unalived": "died", "unaliving": "dying",
    "sewerslide": "suicide", "suicde": "suicide", "sucide": "suicide", "suiside": "suicide",
    "selfharm": "self-harm", "selfharming": "self-harming", "selfharmed": "self-harmed",
    "wanna": "want to", "gonna": "going to", "gotta": "got to", "tryna": "trying to", "hafta": "have to",
    "im": "i am", "ive": "i have", "youre": "you are", "dont": "do not", "doesnt": "does not",
    "didnt": "did not", "cant": "can not", "cannot": "can not", "wont": "will not", "wouldnt": "would not",
    "couldnt": "could not", "shouldnt": "should not", "isnt": "is not", "arent": "are not",
    "wasnt": "was not", "werent": "were not", "havent": "have not", "hasnt": "has not", "hadnt": "had not",
    "aint": "am not", "thats": "that is", "theres": "there is", "whats": "what is", "hes": "he is",
    "shes": "she is", "u": "you", "ur": "your", "r": "are", "rn": "right now", "bc": "because",
    "cuz": "because", "cos": "because", "tmrw": "tomorrow", "tmr": "tomorrow", "tonite": "tonight",
    "2nite": "tonight", "ppl": "people", "every1": "everyone", "some1": "someone", "any1": "anyone",
    "no1": "no one", "bf": "boyfriend", "gf": "girlfriend", "smth": "something",
    "idk": "i do not know", "idc": "i do not care", "ima": "i am going to", "imma": "i am going to",
    "lemme": "let me", "gimme": "give me", "alot": "a lot", "ok": "okay", "pls": "please", "plz": "please",
    "abt": "about", "thru": "through", "tho": "though", "w/": "with",
}

_CONTRACTIONS = (
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"\bain't\b"), "am not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"\bi'm\b"), "i am"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
    # 's after a pronoun is "is" (or "has": rules accept "is been"); after a noun it stays a possessive.
    (re.compile(r"\b(he|she|it|that|there|what|who|someone|somebody|everyone|everybody|nobody|no one|"
                r"life|everything|nothing|this)'s\b"), r"\1 is"),
    # "tonight's the night", "today's the day" (but "today's meeting" stays a possessive).
    (re.compile(r"\b(tonight|today|tomorrow)'s (?=the\b)"), r"\1 is "),
)

_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\ufeff\ufe00-\ufe0f]")
_TOKEN = re.compile(r"[^\s]+")
_WORD_EDGE = re.compile(r"^([\"'(\[]*)(.*?)([\"')\].,!?;:]*)$")


_PLAIN_WORD = re.compile(r"[a-z]+[.,!?;:]?")


def _fold_token(token: str) -> str:
    """One whitespace-separated token: censored words, leetspeak inside words, shorthand."""
    if _PLAIN_WORD.fullmatch(token) and token.rstrip(".,!?;:") not in _SHORTHAND:
        return token  # the common case, kept fast
    lead, core, trail = _WORD_EDGE.match(token).groups()
    if not core:
        return token
    if any(ch in core for ch in "*#") and any(ch.isalpha() for ch in core):
        pattern = re.compile("^" + "".join("[a-z]?" if ch in "*#" else re.escape(ch) for ch in core) + "$")
        for word in _CENSORED_WORDS:
            if pattern.match(word):
                core = word
                break
    if any(ch in _LEET for ch in core) and sum(ch.isalpha() for ch in core) >= 2:
        # Only inside a word: "k1ll" -> "kill", but "5-0" and "2am" stay.
        chars = list(core)
        for i, ch in enumerate(chars):
            if ch in _LEET and 0 < i < len(chars) - 1 and chars[i - 1].isalpha() and chars[i + 1].isalpha():
                chars[i] = _LEET[ch]
        core = "".join(chars)
    core = _SHORTHAND.get(core, core)
    return lead + core + trail


def normalise(text: str) -> str:
    """The canonical form the rules are written against (lower case, contractions expanded)."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text).translate(_QUOTES).lower()
    # "unalive myself" is "kill myself"; a bare "unalive" is "die" (done word by word below).
    text = re.sub(r"\bun-?aliv(?:e|ing|ed) (?:myself|me)\b", "kill myself", text)
    text = " ".join(_fold_token(tok) for tok in _TOKEN.findall(text)) if text.strip() else ""
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    # "want 2 die", "going 2 end it": a lone 2 after these verbs is "to".
    text = re.sub(r"\b(want|wants|wanted|going|need|needs|have|ready|deserve|plan|planning|like|trying)\s+2\b",
                  r"\1 to", text)
    text = re.sub(r"\bsewer[\s-]+slide\b", "suicide", text)
    text = re.sub(r"\bself[\s-]+delet(?:e|ing|ion)\b", "kill myself", text)
    text = re.sub(r"\bmy self\b", "myself", text)
    return re.sub(r"[ \t]+", " ", text).strip()


_SENTENCE_SPLIT = re.compile(r"(?:[.!?;\n]+|\s-\s)\s*")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s.strip()]


# ---------------------------------------------------------------------------------------------------------
# Vocabulary shared by the rules
# ---------------------------------------------------------------------------------------------------------

_ADV = (r"(?:(?:really|just|actually|honestly|seriously|sometimes|often|always|still|kind of|sort of|so|truly|"
        r"literally|almost|constantly|genuinely|even|secretly|all|simply|badly|desperately|somehow|quietly|"
        r"finally|totally|completely|ever) )*")
_WANT = (r"(?:wants? to|wanted to|wanting to|would like to|would love to|need to|needs to|going to|am going to|"
         r"ready to|about to|plans? to|planned to|planning to|intends? to|intending to|decided to|tempted to|"
         r"try to|trying to|tried to|feel like|felt like|feels like|mean to|meant to|long to|longing to|"
         r"hope to|hoping to|wish to|yearn to|time to|time for me to|deserve to|deserves to|let me|"
         r"let myself|allowed to|urge to|urges to)")
# For "die": intent words without "going to", which is mostly hyperbole ("I'm going to die if I don't sleep").
_WANT_DIE = _WANT.replace("going to|am going to|", "").replace("about to|", "")
_PEOPLE = (r"(?:mom|mum|mother|mommy|mama|dad|father|daddy|papa|parents?|brother|sister|siblings?|son|daughter|"
           r"kids?|children|child|baby|babies|newborn|infant|little one|toddler|husband|wife|partner|spouse|"
           r"boyfriend|girlfriend|fianc[ée]+|"
           r"ex|ex-?husband|ex-?wife|ex-?boyfriend|ex-?girlfriend|boss|manager|supervisor|coworkers?|co-workers?|"
           r"colleagues?|teachers?|professor|classmates?|roommates?|flatmates?|housemates?|neighbou?rs?|"
           r"friends?|best friend|family|step-?dad|step-?mom|step-?mum|step-?father|step-?mother|step-?brother|"
           r"step-?sister|uncle|aunt|cousin|grandma|grandpa|grandmother|grandfather|nan|landlord|landlady|"
           r"bully|bullies|students?|customers?|clients?|doctor|therapist|coach|pastor|priest|"
           r"in-?laws?|mother-in-law|father-in-law|nephew|niece|relatives?|caregiver|carer|foster parents?|"
           r"guardian|tutor|employer|ex's [a-z]+)")
# Who can be harmed: pronouns, people-nouns with a determiner, and generic people.
_TARGET = (rf"(?:him|her|them|someone|somebody|anyone|anybody|everyone|everybody|people|others|other people|"
           rf"a person|myself and (?:others|them)|(?:my|his|her|their|our|the|that|this|those|these|a|some|"
           rf"all the|all of the|all my|every) (?:[a-z]+(?:'s|s'|')? )?{_PEOPLE}|"
           rf"(?:the|those|these|some|that|this) (?:guy|guys|man|men|woman|women|girl|girls|boy|boys|kids|"
           rf"people|person|bitch|bastard|idiot|jerk|asshole))")
# Who can harm the user: pronouns, people-nouns, strangers.
_SUBJ = (rf"(?:he|she|they|someone|somebody|people|(?:a|this|that|some|the) (?:man|guy|woman|stranger|person|"
         rf"boy|girl|men|guys|gang|group)|(?:my|his|her|our|their|the|mom's|mum's|dad's|mother's) "
         rf"(?:[a-z]+ )?{_PEOPLE}(?:'s (?:[a-z]+ )?{_PEOPLE})?)")
# Whom they harm: the user, or those in the user's care.
_ME = (r"(?:me|us|my (?:mom|mum|mother|sister|brother|siblings|kids|children|baby|son|daughter|family|pets?|"
       r"dog|cat)|the (?:kids|children|baby)|our (?:kids|children|baby|son|daughter|family))")
_PILLS = (r"(?:pills|tablets|meds|medication|medications|medicine|painkillers|pain killers|sleeping pills|"
          r"paracetamol|acetaminophen|tylenol|ibuprofen|insulin|antidepressants|oxy|oxycodone|opioids|benzos|"
          r"xanax|lithium|prescription|sleeping tablets|amitriptyline|sertraline|zoloft|fluoxetine|prozac|citalopram|"
          r"quetiapine|seroquel|zopiclone|diazepam|valium|codeine|co-codamol|tramadol|morphine|fentanyl|aspirin|"
          r"diphenhydramine|benadryl|propranolol|painkiller)")
# Firearms, for the rules about access to one.
_GUN = r"(?:guns?|pistols?|handguns?|rifles?|revolvers?|shotguns?|firearms?|glock)"
_BODY = (r"(?:arms?|wrists?|legs?|thighs?|skin|stomach|belly|hips?|body|face|hands?|fingers?|ankles?|chest|head|"
         r"forearms?|knuckles|shoulders?|neck|calves|feet|scalp)")

# Sentence cues that make a "die"/"kill" phrase a hyperbole rather than a crisis.
_HYPERBOLE = (r"\b(?:embarrass\w*|cringe\w*|cringy|bored|boring|boredom|hilarious|laugh\w*|lmao|lmfao|rofl|"
              r"cute|cuteness|memes?|awkward|funny|joke|jokes|joking|kidding|jk|puns?)\b|\bso (?:hungry|thirsty|"
              r"hot|full|excited|happy|jealous|bad|good|cute|funny|awkward|boring|bored|cringe|cringy|"
              r"embarrassing|embarrassed|sweet|beautiful|dumb|stupid|loud|long|slow|cold|sleepy) (?:that )?i\b")
_GAME = (r"\b(?:game|games|gaming|match|quiz|chess|checkers|cards|poker|tournament|finals?|level|boss fight|"
         r"final boss|league|fortnite|minecraft|call of duty|warzone|valorant|overwatch|roblox|"
         r"video ?games?|playstation|xbox|nintendo|in the (?:movie|film|show|book|novel|story|series)|"
         r"my character|our character|zombies?|tennis|football|soccer|basketball|hockey|rugby|race|racing|"
         r"scoreboard|mario ?kart|fifa|monopoly|scrabble|arm wrestling)\b")
_ACCIDENT = (r"\b(?:accident\w*|by mistake|trip\w*|slipp?(?:ed|ing)?|slip|fell|falling|fall|chopping|cooking|"
             r"kitchen|shaving|playing|practice|training|gym|workout|lifting|skiing|skating|skateboard\w*|"
             r"cycling|bike|climbing|football|soccer|rugby|basketball|hockey|sports?|door|cabinet|cupboard|"
             r"shelf|table|desk|paper cut|stairs|oven|stove|pan|iron|ironing|curling iron|straightener|baking|"
             r"crash\w*|hiking|running|sprint\w*|sewing|knitting|gardening|craft\w*|woodwork\w*|fixing|"
             r"repairing|building|diy|tools?|drill|hammering|wrestl\w*|play ?fight\w*)\b")
_ON_PURPOSE = r"\b(?:on purpose|deliberately|intentionally|purposely|to feel something|to punish|to cope)\b"
# Reasons that make "X will kill me" a figure of speech ("... if I'm late", "... for borrowing her car").
_TRIVIAL_REASON = (r"\b(?:if|when|once|for|after|because)\b[^.!?]{0,50}\b(?:late|grades?|report card|mess|messy|"
                   r"dishes|tattoo|piercing|haircut|hair|car|phone|bill|credit card|spent|spend|spoil\w*|"
                   r"leftovers?|borrow\w*|forgot|forget|forgetting|broke (?:the|his|her|my|their)|"
                   r"lost (?:the|his|her|my|their)|homework|curfew|test|exam|results?|sees? (?:this|that|the|my)|"
                   r"saw (?:this|that|the|my)|eat|ate|eaten|eating|dent\w*|ruin\w*|missed|miss (?:the|my|dinner)|"
                   r"wake (?:her|him|them) up|woke|wearing|wore|clothes|shoes|dress|outfit|texting|snoring|"
                   r"drinking (?:his|her|their|the|my) \w+|messing up|broken|spill\w*|room|chores?|"
                   r"surprise|party|cake|present|gift|bday|birthday|game|match|coffee|food|snacks?|"
                   r"fries|pizza|charger|laundry|the milk|the last)\b|\bfor (?!(?:leaving|telling|calling|reporting|"
                   r"talking to|seeing|being gay|being trans|escaping|running)\b)[a-z]+ing\b|"
                   r"\bwith (?:this|that|the|all (?:this|that|"
                   r"the)|these|those|his|her|their|so much) (?:[a-z]+ )?(?:homework|work|workload|tests?|exams?|"
                   r"assignments?|essays?|questions?|jokes?|puns?|rules|cooking|kindness|meetings?|emails?|"
                   r"chores|music|singing|stories|schedule|deadlines?|training|drills|workouts?|quizzes|"
                   r"reading|paperwork|reports?)\b")
# Reasons that keep "X will kill me" a real threat, whatever the subject.
_DANGER_REASON = (r"\b(?:leave|leaving|left him|left her|tell|telling|told anyone|call|calling|report\w*|police|"
                  r"cops|anyone|escape|run away|runs? away|divorce|break up|breaking up|gay|lesbian|bi|queer|"
                  r"trans|pregnant|abortion|really|actually|literally|i mean it|not joking|not kidding|"
                  r"for real|find me|finds me|custody|restraining order)\b")
# "I'd rather die than go to that party" is a figure of speech; "I'd rather die than go back to him" is not.
_RATHER_IDIOM = (r"\brather (?:just )?(?:be dead|die) than (?:be seen|wear|eat|listen|watch|sit through|attend|"
                 r"apologi[sz]e|admit|ask|lose|miss|dance|sing|run|use|drink|play|read|hear|do (?:that|this|"
                 r"homework|math|chores|the dishes|my taxes)|go (?:to|on) (?:that|this|the|a|another) (?:party|"
                 r"meeting|class|dinner|event|gym|wedding|concert|school|lecture|date|trip|family dinner|"
                 r"reunion|presentation)|talk to (?:him|her|them) (?:again )?(?:at|about)|work (?:for|with))\b")
# Cutting, but not cutting back, class, ties or hair.
_NOT_CUT_OBJECT = (r"(?! (?:back|down|out|off|corners|carbs|sugar|ties|class|classes|school|my hair|hair|the|it|"
                   r"them|people|him|her|in|costs|fabric|paper|wood|grass|onions|vegetables|meat|a deal|loose|"
                   r"calories|dairy|gluten|alcohol|coffee|caffeine|through|across|ahead|short|some|my losses|"
                   r"the cord|my nails|my fingers?|bread|cheese|cake|pizza|fat|weight|budget|spending|expenses|"
                   r"hours|shifts|a cd|an album|a track|a record|a demo|songs?|the lights|bridges|money|cash|"
                   r"candles?|incense|sage|bright|up|rubber|the midnight oil|cds?|dvds?|toast|dinner|rice|food|"
                   r"fuel|gas|petrol|a hole|a|an|that|this|those|these|my (?:friend|ex|mom|dad|family|[a-z]+ "
                   r"off))\b)")

# Hallucinated or intrusive commands: "the voices are telling me to ...", "a voice that says I have to ...",
# "they keep ordering me to ...".
_VOICE_COMMAND = (r"\b(?:(?:the |a |these |those |my )?(?:voices?|voice|something(?: inside me)?|demons?|the devil|"
                  r"thoughts|intrusive thoughts|my (?:mind|brain|head|thoughts|depression|illness))(?: in (?:my head|"
                  r"my ear|the walls|the room))?(?: that| which)? (?:(?:keeps?|are|is|have been|has been|always|"
                  r"still|started|will not stop|never stop|do not stop|does not stop|keep on) )?(?:tell|tells|"
                  r"telling|told|say|says|saying|said|whisper\w*|urg\w*|push\w*|scream\w*|command\w*|order\w*|"
                  r"instruct\w*|insist\w*|demand\w*|want|wants)|(?:they|someone|something) (?:(?:are|is|keep|keeps|"
                  r"have been|will not stop) )?(?:command\w*|order\w*|instruct\w*|demand\w*))(?: me)?(?: that)?(?: i "
                  r"(?:should|must|have to|need to|got to|ought to)| to) ")

# "... I won't need them after graduation / since my surgery": an everyday reason for not needing something.
_EVERYDAY_REASON = (r"(?!(?: [a-z]+){0,2}?,? (?:after|since|because|as|now that|when|until|till|once|in|at|for|with|"
                    r"during) (?!(?:tonight|today|tomorrow|this (?:week|weekend)|i am (?:gone|dead|not here)|i die|i "
                    r"go)\b))")

# Being at a bridge or on a platform for an ordinary reason.
_LEISURE = (r"\b(?:watch(?:ing|ed)? (?:the )?(?:boats|trains|river|birds|fireworks|sunset|sunrise|game|match|parade|"
            r"swans|ducks)|see(?:ing)? (?:him|her|them|my [a-z]+) off|meet(?:ing)? (?:him|her|them|my [a-z]+)|ducks|"
            r"swim\w*|jog\w*|walk(?:ing)? the dog|with the dog|fishing|picnic)\b")

# "... none of this will matter, the exam will be over": the time named is an event's, not the end of a life.
_NOT_AN_EVENT = (r"(?![^.!?]*\b(?:exams?|tests?|deadline|project|interview|presentation|results?|will be over|is "
                 r"over|finished|wedding|trip|holiday|vacation|move|moving)\b)")

_KILL_SELF_IDIOM_AFTER = (r"laugh\w*|with laughter|at (?:the )?(?:gym|work|office|job|school)|working|studying|"
                          r"training|in the foot|up\b|over (?:this|that|it|a|an|the|these|those|nothing|work|"
                          r"school|exams?|homework)\b|trying to (?:get|finish|make|keep|meet|pass|lose|please|"
                          r"impress|fix)|to (?:get|finish|make|meet|pass|keep up|lose|impress|please|fit|afford)"
                          r"\b|for (?:this|that|the|my|a|an) (?:job|exam|test|project|team|company|boss|degree|"
                          r"class|course|deadline|grade|promotion|money|wedding|party|trip|marathon|race|game)|"
                          r"with (?:work|homework|overtime|exercise|workouts?)")

# ---------------------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One pattern over a normalised sentence, with the guards that veto a match."""

    id: str
    category: str
    why: str
    pattern: re.Pattern[str]
    # A match is vetoed when `after` matches the rest of the sentence right after it, `before` matches the
    # part of the sentence before it, or `context` is found anywhere in the sentence; `unless` found in the
    # sentence lifts those vetoes. `negatable=False` for patterns that carry their own negation.
    after: re.Pattern[str] | None = None
    before: re.Pattern[str] | None = None
    context: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None
    # A match counts only when `requires` is found somewhere in the same sentence (before or after it).
    requires: re.Pattern[str] | None = None
    negatable: bool = True


def _rule(id: str, category: str, why: str, *alternatives: str, after: str | None = None,
          before: str | None = None, context: str | None = None, unless: str | None = None,
          requires: str | None = None, negatable: bool = True) -> Rule:
    """A rule whose pattern is any of `alternatives` (each a regex written against `normalise`d text)."""

    def compile_(p: str | None) -> re.Pattern[str] | None:
        return re.compile(p) if p else None

    return Rule(id, category, why, re.compile("|".join(f"(?:{a})" for a in alternatives)),
                after=compile_(after and r"^\W*(?:" + after + ")"), before=compile_(before),
                context=compile_(context), unless=compile_(unless), requires=compile_(requires),
                negatable=negatable)


def _adv(pattern: str) -> str:
    return pattern.replace("<ADV>", _ADV)


RULES: tuple[Rule, ...] = (
    # ----------------------------------------------------------------------------------------- suicide
    _rule("suicide.keyword", "suicide", "mentions suicide or suicidal thoughts",
          r"\bsu?i?c+i?d(?:e|es|al|ality|ally)\b",
          after=r"(?:prevention|awareness|rates?|statistics|squad|doors?|sprints?|runs?|missions?|bomb\w*|"
                r"drills?|squeeze|pass|blonde|kings?)\b"),
    _rule("suicide.kill_self", "suicide", "talks about killing oneself",
          r"\b(?:kill(?:s|ed|ing)?|murder(?:ing|ed)?|off(?:ing)?|hang(?:s|ed|ing)?|hung|shoot(?:ing)?|shot|"
          r"drown(?:ing|ed)?|poison(?:ing|ed)?|gas(?:sing)?|suffocat(?:e|ing)|electrocut(?:e|ing)|"
          r"stab(?:bing|bed)?|end(?:ing)?) myself\b",
          after=_KILL_SELF_IDIOM_AFTER + r"|in (?:work|coffee|tea|water|alcohol|books|music|the pool)|out\b",
          context=r"\b(?:almost|nearly|practically) (?:killed|drowned|electrocuted|poisoned|gassed) myself\b.*"
                  + _ACCIDENT + "|" + _ACCIDENT + r".*\b(?:almost|nearly|practically) (?:killed|drowned|"
                  r"electrocuted|poisoned|gassed) myself\b"),
    _rule("suicide.how_to", "suicide", "asks how to kill oneself",
          r"\b(?:ways?|how|easiest|best|quickest|fastest|simplest|painless\w*|surest|least painful) (?:ways? )?"
          r"(?:to|do you|can you|would you|does one|can one|could you|should i) (?:kill|off|hang|shoot|poison|"
          r"overdose) (?:yourself|oneself|urself|your self)\b",
          r"\bhow (?:long|fast|quickly|much) (?:does it take|would it take|it takes|it would take|until|till|"
          r"before) (?:to |you |someone |a person |i )?(?:bleed out|die|suffocate|drown|lose consciousness)\b",
          context=r"\b(?:cook|bake|boil|roast|grill|steak|chicken|turkey|plant|plants|flowers?|battery|"
                  r"phone|fish|goldfish|lobster|in the (?:game|movie|show))\b"),
    _rule("suicide.kill_self_other", "suicide", "says someone else intends to kill themselves",
          r"\b(?:kill(?:s|ed|ing)?|hang(?:s|ed|ing)?|hung|shoot(?:s|ing)?|shot|end(?:s|ed|ing)?) "
          r"(?:himself|herself|themselves|themself)\b",
          after=_KILL_SELF_IDIOM_AFTER),
    _rule("suicide.end_life", "suicide", "talks about ending one's life",
          r"\b(?:end(?:s|ed|ing)?|take|takes|taking|took|taken|give up) (?:my|his|her|their|your) (?:own )?"
          r"li(?:fe|ves)\b",
          after=r"back|into|in (?:a|another|a new)|seriously|more seriously|to the next level|forward|apart|"
                r"savings|for granted|one day at a time|as it comes|step by step|in my (?:own )?hands"),
    _rule("suicide.end_it", "suicide", "talks about ending it all",
          r"\bend(?:s|ed|ing)? it all\b",
          r"\bput (?:an )?end to (?:it all|everything|my life|myself|my suffering|my pain|it|this|things|"
          r"my existence)\b",
          r"\b(?:i am|i will|i would|i have to|i need to|time to|about to) (?:just )?end(?:ing)? it\s*$",
          _adv(rf"\b(?:{_WANT}|thinking (?:about|of)|thought (?:about|of)|think (?:about|of)|consider(?:ing)?|"
               rf"contemplat(?:e|ing)|i (?:am|will|would|shall)|tonight i (?:am|will)|i am just|might|could just|"
               rf"should just|how to|way to|ways to|just|finally|mind to|want to just|talk(?:s|ed|ing)? about|"
               rf"speak(?:s|ing)? of|mention(?:s|ed|ing)?|tell(?:s|ing)? me to|and|,) <ADV>end(?:ing)? (?:it|"
               rf"it all|everything|things|this|my suffering|the suffering|my pain|the pain|this pain|all of "
               rf"this|all this|my existence)\b"),
          r"\b(?:stop|stopping|talk|talking|prevent|preventing|keep|keeping) (?:me|myself) (?:from|out of) (?:ending "
          r"(?:it|it all|things|my life|everything|myself)|killing myself|doing it|jumping|going through with it|"
          r"taking (?:the|my|those|these|all the|all my) (?:[a-z]+ )?pills)\b",
          r"\b(?:use|using|used) (?:it |this |that |them |something )?to end (?:it|it all|things|everything|my life|"
          r"myself)\b",
          after=r"(?:with|between|early|for now|for today|here and now|on a (?:good|high|positive) note|here|"
                r"there)\b|(?:conversation|call|chat|meeting|class|game|relationship|friendship|thread|"
                r"discussion|argument|fight|lease|contract|subscription|semester|season|streak|series|chapter|"
                r"book|week|month|year|day|trip|project|job)\b"),
    _rule("suicide.wish_die", "suicide", "expresses a wish to die or to be dead",
          _adv(rf"\b(?:{_WANT_DIE}|wish(?:es|ed|ing)?(?: that)? (?:i|to|i could|i would|i might|i will)|"
               rf"hope(?:s|d)?(?: that)? (?:i|to)|hoping(?: that)? (?:i|to)|pray(?:s|ed|ing)?(?: that)? (?:i|to|"
               rf"for god to let me)|(?:would|had) rather|i would sooner|deserve to|how (?:to|do i|can i|would "
               rf"i|could i)|ways? to|best way to|easiest way to|quickest way to|fastest way to|simplest way to|"
               rf"least painful way to|painless(?:ly)?(?: way)? to|part of me wants? to|want(?:s|ed)? me to|"
               rf"okay (?:with|if) (?:i|me)|fine (?:with|if) (?:i|me)|would not mind if i|would not care if i|"
               rf"why not just|maybe i should(?: just)?|i should(?: just)?|better if i|time i|go to sleep and|"
               rf"fall asleep and|sleep and|(?:easier|better|simpler|best|nicer|kinder|preferable|a relief|"
               rf"more peaceful|less painful)(?: for (?:everyone|everybody|them|all|my family|everyone else))?"
               rf" (?:to|if i|if i just|for me to)) <ADV>(?:die|died|dying|be dead|were dead|was dead|be gone|"
               rf"not be alive|not exist|stop existing|stop living|stop breathing|stop being alive|stop being "
               rf"here|drop dead|perish|cease to exist|not be here|not wake up|never wake up|not be around|"
               rf"stop feeling (?:anything|everything)(?: ever again| forever| for good| permanently)|"
               rf"disappear forever|be with (?:my|him|her) [a-z]+ in heaven)\b"),
          after=r"(?:of|from|laughing|for|on the inside|inside|a little|with (?:embarrassment|laughter)|"
                r"in (?:this|that|my) (?:game|level|outfit|dress)|early|on time|at \d|before \d)\b",
          context=_HYPERBOLE + "|" + _RATHER_IDIOM + r"|\b(?:die|dying) (?:of|from) (?:boredom|embarrassment|"
                  r"laughter|thirst|hunger|shame|cringe|cuteness|heat|the heat|curiosity|happiness|joy)\b"),
    _rule("suicide.wish_dead", "suicide", "wishes to be dead or never born",
          r"\bwish(?:es|ed|ing)?(?: that)? i (?:was|were|had been|would be|could be|am) (?:just )?(?:dead|gone|"
          r"never born|not born|not alive|not here|not around|not existing)\b",
          r"\bwish(?:es|ed)?(?: that)? i (?:had )?(?:never|not) (?:been )?(?:born|existed)\b",
          r"\b(?:rather|sooner|better off|happier|be) (?:be )?dead\b",
          r"\brather (?:just )?die\b",
          r"\b(?:ready|prepared|happy|willing|meant|want) to die\b",
          r"\bi (?:am|feel) (?:ready|prepared) to (?:die|go)\b(?! (?:home|out|to|now to|for|back|shopping)\b)",
          r"\bnot (?:scared|afraid|frightened|fearful) (?:of )?(?:dying|death|to die|being dead)(?: any ?more| "
          r"now)?\b(?! (?:in|on) (?:the|a|this|that|my) )(?=[^.!?]*\b(?:ready|at peace|peace|calm|soon|tonight|"
          r"finally|decided|welcome|looking forward)\b)",
          after=r"(?:of|from|laughing|for|on the inside|inside|a little|with (?:embarrassment|laughter))\b",
          context=_HYPERBOLE + "|" + _RATHER_IDIOM),
    _rule("suicide.not_want_live", "suicide", "does not want to live or to wake up",
          _adv(r"\b(?:not|never|no longer|no more) <ADV>(?:want|wanna|wish|feel like|care|plan|intend|need|"
               r"deserve|see myself|think i (?:can|will|want to)|know (?:if|why|how) i (?:should|want to|can)|"
               r"know (?:if|how) i (?:can|will))(?:s|ed|ing)?(?: to)? <ADV>(?:live|living|be alive|stay alive|"
               r"exist|existing|be here|be around|go on|going on|keep going|keep living|carry on|continue "
               r"living|continue|wake up|waking up|be in this world|be on this earth|be (?:on|in) (?:this|the) "
               r"(?:planet|world|earth)|be on earth|be part of (?:this|the) world|survive|get up again|see "
               r"tomorrow|see (?:another|the next) (?:day|year|birthday|christmas)|make it through (?:the "
               r"night|tonight|another day)|be a part of this world|breathe|do this (?:life|anymore))\b"
               r"(?! (?:in|at|with|near|there|alone|abroad|together|on (?:campus|my own)|by myself|under|like "
               r"(?:that|them|him|her)|through|early|on time|before|at \d|so early|for (?:work|school|class)|"
               r"(?:a|the|this|that|my|vacation|holiday|tour|trip|date|stage|ride|diet|show|course|program|job|"
               r"project|medication|meds|pills))\b)"),
          negatable=False),
    _rule("suicide.unsure_live", "suicide", "is unsure about wanting to live",
          r"\b(?:not sure|unsure|do not know|no idea|wonder(?:ing)?|doubt|question(?:ing)?|can not see why)"
          r"(?: if| whether| why)? (?:i )?(?:still |even |really )?(?:want|wanna|should|need) to (?:live|be "
          r"alive|be here|exist|go on|keep going|keep living|stay alive|wake up)\b",
          r"\bwhy (?:should|would|do|must|am) i (?:keep|go on|even|bother|continue|still|stay)(?: [a-z]+)? "
          r"(?:living|going|existing|alive|waking up|trying to live|breathing|here on earth|on this earth)\b",
          r"\bwhy (?:am i|am i even|am i still|do i even|do i still) (?:alive|exist|breathing)\b",
          r"\b(?:do not|can not|no longer) (?:see|know|understand) why i (?:should|would|need to|have to) (?:even )?"
          r"(?:keep going|go on|keep living|live|stay alive|bother living|carry on|wake up|be here)\b",
          r"\bwhy i (?:am|even|still|am even|am still) (?:alive|exist|here|breathing|bother living)\b"
          r"(?! (?:at|in|on|with|for|today|this)\b)",
          negatable=False),
    _rule("suicide.tired_of_life", "suicide", "is tired of living",
          _adv(r"\b(?:tired|sick|weary|exhausted|fed up) (?:of|with) <ADV>(?:living|being alive|existing|"
               r"existence|life|this life|being here|breathing|waking up|being me|being myself|everything and "
               r"everyone|fighting to stay alive|staying alive|trying to stay alive)\b"),
          r"\b(?:had|have had) enough of (?:life|living|being alive|existing|this life|this world|everything "
          r"and everyone)\b",
          r"\bdone (?:with (?:life|my life|this life|living|existing|being alive|everything|it all|this world|"
          r"this earth)|living|existing)\b",
          r"\b(?:give|giving|gave|given) up on (?:life|living|my life|everything|myself|it all|being alive)\b",
          r"\bwant out of (?:this )?(?:life|everything|here for good|this world)\b",
          r"\bready to give up(?:\s*$|,| now\b| for good\b| on (?:life|living|myself|everything|it all|being alive)\b)",
          r"\bi (?:just |really )?want (?:out|it to be over|to be done)\s*$",
          r"\b(?:life|living|existence) is (?:just )?(?:too )?(?:unbearable|pointless|meaningless|not worth "
          r"(?:it|living))\b",
          after=r"(?:in|at) (?:this|that|the|my) (?:city|town|house|place|job)\b",
          context=r"\bdone with (?:everything|it all) (?:for (?:today|tonight|the day|the week)|at work|"
                  r"on my list)\b|\bgive up on (?:myself|everything) (?:at|in) (?:the|this) (?:game|level)\b"),
    _rule("suicide.no_reason", "suicide", "sees no reason or point in living",
          _adv(r"\b(?:no|not (?:a|any)|nothing|zero|never (?:a|any)|lost (?:all|any|my)|without (?:a|any)|"
               r"do not (?:see|have|find)|can not (?:see|find)) <ADV>(?:the |a |any )?(?:real )?(?:point|reason|"
               r"purpose|use|sense|meaning|will|hope|motivation|desire)s? (?:for me |left )?(?:in |to |of |for |"
               r"anymore (?:to |in ))?(?:me )?<ADV>(?:live|living|life|go on|going on|keep going|keeping going|"
               r"carry on|carrying on|continuing|be alive|being alive|exist|existing|be here|being here|wake up|"
               r"waking up|stay alive|staying alive|keep living|try to live|breathe|breathing|be around|keep "
               r"(?:breathing|existing|waking up|fighting|trying))\b"),
          r"\bnothing (?:left )?(?:to live for|worth living for|to stay for|to stay alive for|keeping me "
          r"(?:here|alive|going))\b",
          r"\bwhat is (?:even )?the point (?:of|in) (?:living|life|going on|waking up|being alive|existing|"
          r"being here|staying alive|me being here|my existence|carrying on|trying to live)\b",
          r"\bnot worth living\b",
          r"\bnothing (?:makes me want|gives me (?:a )?reason|is worth|motivates me|keeps me wanting|is left to "
          r"make me want) to (?:keep living|live|go on|stay alive|keep going|wake up|be alive|be here)\b",
          r"\b(?:i am|i am just|i am really|i am simply) not worth (?:saving|keeping alive|the air i breathe|the "
          r"oxygen|living|fighting for)\b",
          r"\b(?:my )?life (?:is|feels|seems|has become|is just) (?:so |completely |totally |utterly )?(?:not "
          r"worth (?:living|it)|worthless|pointless|meaningless|hopeless|empty and pointless|a waste)\b",
          negatable=False),
    _rule("suicide.better_without_me", "suicide", "believes others would be better off without them",
          r"\b(?:better|happier|easier|lighter|fine|okay|relieved|better place|better off|calmer|freer)\b"
          r"[^.!?]{0,50}\bwithout me\b",
          r"\bwithout me (?:in it|around|here|alive|in (?:the|their|your) (?:world|lives|life|way))\b",
          r"\b(?:no ?one|nobody|not a single person|none of them|not anyone|would anyone|would anybody|will "
          r"anyone|who would) (?:would |will |is going to |even |really |ever )*(?:miss me|cry (?:if|when|at my)"
          r"|come to my funeral|notice i am gone|notice i was gone|reali[sz]e i am gone)\b",
          r"\b(?:no ?one|nobody|not a soul|none of them|does anyone|would anyone|who|they|my family|my "
          r"parents|people) (?:even |really |would |will |even really )*(?:cares?|care|notices?|notice|miss|"
          r"misses) (?:if|whether|that|when) i (?:live|lived|die|died|am alive|am dead|am gone|was gone|were "
          r"gone|was dead|were dead|disappear|disappeared|vanished|exist|existed|am here|was not here|were not "
          r"here|was not around|killed myself|ended it)\b",
          r"\b(?:no ?one|nobody) (?:would|will) (?:even |ever |really )*(?:notice|care|miss me)\s*$",
          r"\b(?:burden|problem|nuisance)\b[^.!?]{0,40}\b(?:for good|permanently|forever|much longer|any ?more|"
          r"any longer|soon|gone)\b",
          context=r"\b(?:burden|problem) (?:of proof|solved|is fixed)\b|\bwithout me (?:at|for) (?:the |a |"
                  r"this )?(?:party|meeting|trip|lunch|dinner|game|weekend|holiday|class|event|show|movie|"
                  r"wedding|concert)\b|\b(?:went|go|left|started|had fun|ate|played|decided) [^.!?]{0,20}"
                  r"without me\b"),
    _rule("suicide.if_gone", "suicide", "imagines others after their death",
          r"\bif i (?:just |simply |ever )?(?:died|disappeared|vanished|was gone|were gone|was dead|were dead|"
          r"am dead|am gone for good|killed myself|was not (?:here|around|alive)|were not (?:here|around|alive)"
          r"|am not (?:here|around|alive) (?:any ?more|tomorrow)|did not exist|never existed|stopped existing|"
          r"stopped breathing|never woke up|did not wake up|do not wake up|never wake up|ended it|was no "
          r"longer (?:here|around|alive)|went away forever|were to die|was to die|died tonight|died "
          r"tomorrow)\b",
          r"\b(?:when|after|once) i (?:am|was) (?:gone|dead|no longer here)\b(?! (?:on|for|to|from|away|at|"
          r"with|camping|fishing)\b)",
          r"\b(?:when|after|once) i (?:die|kill myself|end it|end my life)\b(?! (?:of|from|at|in my sleep|"
          r"old)\b)",
          r"\b(?:when|after|once) i am (?:not|no longer) (?:here|around|alive)(?: any ?more| any longer)?\b(?! (?:on|"
          r"for|to|at|because|this|next|tomorrow|tonight|today)\b)",
          r"\bwhere i am (?:going|headed|heading)\b(?=[^.!?]*\b(?:need|bring|take|miss|matter)\b)|\b(?:will not|do "
          r"not|would not|no longer|am not going to) (?:need|be needing)\b[^.!?]{0,30}\bwhere i am (?:going|headed|"
          r"heading)\b(?! (?:next|for|on|this|to)\b)",
          r"\b(?:when|after|once|if) (?:they|someone|somebody|my [a-z]+|people|the police|he|she) (?:find|finds|"
          r"found|discover|discovers) (?:me|my body)\b(?=[^.!?]*\b(?:love|loved|sorry|hope|understand|forgive|note|"
          r"letter|gone|peace|dead|body|too late|know i)\b)",
          r"\b(?:after|at|once|when) (?:my|the) (?:own )?funeral\b[^.!?]{0,40}\b(?:will|would|are going to|is going "
          r"to) (?:finally |all |then |at last )?(?:understand|be sorry|regret|notice|miss me|care|reali[sz]e|get "
          r"it)\b",
          r"\b(?:everyone|everybody|they|people|you all|my [a-z]+) (?:will|would|are going to) (?:finally |all "
          r")?(?:understand|be sorry|regret (?:it|everything|how they)|miss me|reali[sz]e)\b[^.!?]{0,30}\b(?:when|"
          r"once|after) i am (?:gone|dead|not here|no longer here)\b",
          r"\bafter my death\b",
          r"\bif i (?:was|were) not (?:in it|in (?:their|the|your|his|her) (?:lives|life|picture|world|way))\b",
          r"\bin case i (?:am )?not (?:here|around|alive)\b"),
    _rule("suicide.not_here_long", "suicide", "says they will not be around much longer",
          r"\b(?:will not|not going to|am not going to|may not|might not|do not plan on|not planning on|"
          r"do not expect to|do not think i will|doubt i will|not sure i will|probably will not|likely will not)"
          r" (?:be )?(?:still )?(?:here|around|alive|be (?:here|around|alive)|being (?:here|around|alive)|"
          r"a (?:problem|burden)(?: for anyone| to anyone| for you| to you| for my family)?|be a (?:problem|"
          r"burden)(?: for anyone| to anyone| for you| to you| for my family)?|bother(?:ing)? (?:anyone|you|"
          r"anybody|people)|(?:have|need) to (?:deal with|worry about|put up with) me|see (?:tomorrow|the "
          r"morning|next week|next year|christmas|my birthday|the weekend|another (?:day|year))|make it "
          r"(?:through|to) (?:the night|tomorrow|the weekend|next week|christmas|my birthday|the end of))"
          r"(?: [a-z]+){0,3}? ?(?:much longer|for long|any ?more|any longer|next (?:week|month|year|time)|"
          r"tomorrow|soon|by (?:the end|then|next|tomorrow|morning|christmas)|after (?:tonight|today|this)|"
          r"after|$)",
          r"\b(?:i will|i am going to|i would|i shall) be gone (?:soon|by|before|after|forever|for good|"
          r"tomorrow|tonight|next)\b",
          r"\b(?:do not think i will|will not|not going to|doubt i will) (?:still )?be alive\b",
          r"\b(?:not|no longer) (?:be |being )?(?:here|around|alive) (?:next (?:week|month|year)|by (?:the end "
          r"of|next|tomorrow|christmas|morning)|much longer|for much longer|for long)\b",
          r"\bmy (?:last|final) (?:days|day|night|week|hours?) (?:on earth|alive|here)\b",
          r"\b(?:nobody|no one|you|they|anyone|my (?:family|parents|mom|mum|dad|friends|wife|husband|kids|partner)) "
          r"(?:will|is going to|are going to|would) (?:not )?(?:have|need) to (?:worry about|deal with|put up with|"
          r"take care of|look after|think about|bother with|carry) me (?:any ?more|any longer|much longer|soon|after "
          r"(?:tonight|today|tomorrow|this (?:week|weekend)|[a-z]+day|next week))\b(?!,? (?:because|since|as|when|"
          r"now that|once|i am (?:moving|leaving|going|starting)|i will be (?:moving|living|at|in|on)))",
          r"\b(?:none of (?:this|it)|nothing) (?:will|is going to) matter to me (?:any ?more |any longer )?(?:by|"
          r"after|come) (?:tonight|tomorrow|this time|[a-z]+day|next week|the weekend)\b" + _NOT_AN_EVENT,
          r"\b(?:by|after|come) (?:this time )?(?:tonight|tomorrow|next week|[a-z]+day|the weekend)\W+(?:none of "
          r"(?:this|it)|nothing) (?:will|is going to) matter to me\b" + _NOT_AN_EVENT,
          r"\bcounting down (?:my|the) (?:last |final )?days\b",
          negatable=False,
          context=r"\b(?:here|around) (?:next week|tomorrow|much longer)[^.!?]{0,30}\b(?:because|since|as) i"
                  r" (?:am|will be|have) (?:travel\w*|on (?:vacation|holiday|leave|a trip)|moving|flying|away)"
                  r"|\bnot (?:be )?(?:here|around) (?:tomorrow|next week)[^.!?]{0,30}(?:office|work|class|"
                  r"meeting|conference|trip|vacation|holiday)\b|\bcounting down the days (?:until|till|to)\b"),
    _rule("suicide.no_future_self", "suicide", "cannot picture being alive in the future",
          r"\b(?:can not|could not|do not|can never|never) (?:see|imagine|picture|envision) (?:myself|me) "
          r"(?:still )?(?:being )?(?:alive|around|here|living)(?: [a-z]+)? (?:next|in (?:a|five|ten|\d+)|by|much|"
          r"a year|tomorrow|at|past|after|to see|long enough)\b(?!(?: [a-z]+)? (?:in|at) (?:this|that|the|a) "
          r"(?:city|town|house|job|place|country|apartment|flat))",
          r"\b(?:can not|could not|do not|can never|never) (?:see|imagine|picture) (?:myself|me) (?:still )?"
          r"(?:being )?(?:alive|around|here)\s*$",
          r"\b(?:can not|could not|do not|can never|never) (?:see|imagine|picture) (?:myself|me) (?:getting|making "
          r"it|living|lasting|being here|being around|being alive|surviving) (?:past|through|beyond|to|until|till|"
          r"after) (?:this (?:weekend|week|month)|tonight|tomorrow|[a-z]+day|next (?:week|month)|the (?:weekend|week|"
          r"night|month|end of (?:the|this) (?:week|month))|christmas|my birthday)\b",
          r"\b(?:do not|can not|never) (?:think|expect|see) (?:i will|myself|me|to) (?:make it|reach|see|live "
          r"(?:to|past|until)|turn) (?:to )?(?:\d+|thirty|forty|twenty|next year|my (?:next )?birthday|"
          r"christmas|graduation|old age)\b",
          negatable=False),
    _rule("suicide.cannot_go_on", "suicide", "says they cannot go on or survive",
          r"\b(?:can not|could not|not able to|unable to|do not think i can|not sure (?:if )?i can|do not "
          r"know (?:if|how) i can|do not know how much longer i can|how much longer can i|will not be able to)"
          r" (?:go on|keep going|survive|hold on|carry on|keep living|live like this|live with (?:this|myself)"
          r"|stay alive|make it through (?:the night|tonight|another day)|do this any ?more|face (?:another|"
          r"tomorrow)|bear (?:it|this|living))\b(?! (?:the|a|this|that|my|vacation|holiday|trip|tour|stage|"
          r"with|about|and on|to|at|without (?:coffee|sleep|food)|on \w+ hours)\b)",
          r"\b(?:will not|do not think i will|might not|may not) (?:survive|make it) (?:the night|tonight|"
          r"another day|much longer|the week|till morning|until morning)\b",
          negatable=False,
          context=r"\b(?:survive|make it through) (?:another|the) (?:day|week|night) (?:of|at|in|without) "
                  r"(?:this heat|work|school|class|meetings?|coffee|sleep|wifi|internet|this job)\b|\blive "
                  r"with (?:this|myself) (?:decision|choice|haircut|outfit|color|colour|result|grade)\b"),
    _rule("suicide.sleep_forever", "suicide", "wishes to sleep forever or not wake up",
          r"\b(?:sleep|fall asleep|go to sleep|rest|close my eyes)(?: and)? (?:forever|for ever|permanently|"
          r"and (?:never|not) wake up|and not wake|never to wake|and never open them again)\b",
          r"\beternal sleep\b",
          r"\b(?:hope|hoping|wish|wishing|pray|praying|want|wanting|would be (?:fine|okay|nice|good|a relief))"
          r"[^.!?]{0,25}\b(?:never|not|do not|will not|would not) wake up\b(?! (?:early|on time|late|before|at|"
          r"for|in time)\b)",
          r"\b(?:never|not) wake up (?:again|ever again|tomorrow|in the morning)\b",
          negatable=False,
          context=r"\bnot wake up (?:again )?(?:until|before|till|early|at)\b|\bsleep forever (?:on|in) "
                  r"(?:this|the|my) (?:bed|couch|sofa|weekend|holiday)\b|\bsleep for(?: )?ever\b.*\b(?:"
                  r"weekend|holiday|vacation|saturday|sunday|bed is|exam|finals|shift)\b"),
    _rule("suicide.disappear_forever", "suicide", "wishes to disappear permanently",
          r"\b(?:disappear|vanish|go away|fade away|be gone|leave this world|leave this earth|stop existing|"
          r"cease to exist|not exist(?:ing)?|not be here|stop being alive|stop living|stop breathing|be erased)"
          r"(?: [a-z]+){0,2}? (?:forever|for good|permanently|for ever|and never come back|and not come back|"
          r"never to return|without a trace|from (?:this|the) (?:world|earth))\b",
          r"\b(?:leave|leaving|left) this (?:world|earth|life)\b",
          r"\b(?:walk|walking|swim|swimming|wade|wading) (?:out )?into the (?:sea|ocean|river|lake|water|waves)"
          r"\b(?=[^.!?]*\b(?:not come back|never come back|not return|never return|forever|and not|end|keep "
          r"going|disappear)\b)",
          context=r"\b(?:disappear|go away|vanish)(?: [a-z]+){0,2}? forever\b.*\b(?:acne|pimples?|spots|"
                  r"headache|pain in my|cold|flu|rash|stain|bug|problem with my|noise)\b"),
    _rule("suicide.want_it_over", "suicide", "wants everything to end",
          r"\bwant(?:s|ed)? (?:it all|everything|all of (?:it|this)|my life|life|it all just|everything just)"
          r" (?:to |to just |just to )?(?:end|stop|be over|go away|finish)\b",
          r"\bwant(?:s|ed)? (?:it|this|the pain|this pain|my pain|the suffering|my suffering|the hurt)(?: all)? "
          r"(?:to |to just )?(?:end|stop|be over|go away)(?: [a-z]+)? (?:for good|forever|permanently|for ever"
          r"|once and for all)\b",
          r"\bwish (?:it all|everything|my life|life|i) (?:would|could) (?:just )?(?:end|stop|be over)\b",
          r"\b(?:want|wish|need|hope|pray)\w* (?:that )?(?:it|everything|it all|all of it|this|the pain|life|my "
          r"life)(?: would| could| to| will)?(?: all)?(?: just)? (?:end|stop|be over|go away)(?: [a-z]+)? "
          r"(?:for good|forever|permanently|for ever|once and for all)\b",
          after=r"(?:already|soon|faster|quickly)\b"),
    _rule("suicide.death_relief", "suicide", "sees death as a relief or the only way out",
          r"\b(?:death|dying|being dead|not being alive|not existing|not being here|killing myself|suicide|"
          r"ending it|ending my life|to die) (?:would be|will be|is|seems|sounds|feels like|looks like|might be"
          r"|could be)(?: like)? (?:a |such a |the |my )?(?:only )?(?:relief|release|better|easier|peaceful|"
          r"nice|welcome|answer|only (?:way|option|answer|solution|choice)|best (?:option|way|thing|choice)|"
          r"escape|way out|solution|peace|freedom|mercy|a kindness|option)\b",
          r"\bwelcome death\b",
          r"\blook(?:ing)? forward to (?:dying|death|being dead)\b",
          r"\blong(?:ing)? for death\b",
          r"\bthe only way (?:out|for (?:this|it|the pain) to (?:stop|end)|(?:this|it|the pain|my pain) (?:stops"
          r"|ends|will stop|will end)) (?:is|would be|will be)(?: if)? (?:i (?:die|am dead|was dead|kill "
          r"myself|end it)|to die|death|dying|suicide)\b",
          r"\b(?:no|the only) way out (?:except|but|other than|is|would be)(?: to)? (?:dying|death|die|ending "
          r"it|suicide|killing myself|to end it)\b",
          r"\beven if (?:it|that) means (?:dying|death|i die|not waking up|i do not wake up)\b",
          # Only one way out, left unnamed or named as permanent: "there's no way out except one".
          r"\b(?:no|not (?:a|any)|can not see (?:a|any)|do not see (?:a|any)|only (?:one|a single)) (?:other "
          r")?(?:way out|exit|escape|way to escape|solution|option|answer|choice)\b(?: (?:of|from) (?:this|it|here|"
          r"my life))?(?: for me)?,? (?:except|but|other than|apart from|besides|left)(?: for me)?(?: is)? (?:the |a "
          r")?(?:one\s*$|one (?:way|thing)\b|that one\b|this one\b|(?:permanent|final)(?: one)?\b|last resort\b|"
          r"obvious one\b|not being (?:here|around|alive)\b|not existing\b|dying\b|death\b|to die\b|ending (?:it|"
          r"things|my life|everything)\b)",
          r"\b(?:only|last|one) (?:exit|way out|option|solution|escape|answer|door|choice|thing)(?: left)?(?: for me|"
          r" open to me)?(?: left)? (?:is|would be|will be|is going to be) (?:a |the )?(?:permanent|final|"
          r"irreversible)(?: one| solution| exit| way out| escape| end| way| option)?(?=\s*$|,| and| but)",
          r"\b(?:only|just) one (?:solution|option|way out|exit|answer|way|thing|choice) left\b[^.!?]{0,30}\b(?:i "
          r"know (?:what|which) (?:it is|one|i have to do|i need to do|i must do)|(?:it is|that is) (?:death|dying|"
          r"to die|not being here))",
          r"\bworth more (?:to (?:them|my family|everyone|my kids|my wife|my husband) )?dead\b",
          r"\blife insurance(?: money| payout| policy)? (?:would|will|could|might) (?:help|pay|do|be worth|be "
          r"better|take care|set|mean more|give them)\b",
          r"\b(?:be|join|see) (?:with )?(?:my|him|her|them) [a-z]+ (?:again )?in heaven\b(?=.*\b(?:soon|want|"
          r"wish|ready|can not wait|go)\b)"),
    _rule("suicide.thinking_death", "suicide", "dwells on death or how to die",
          r"\b(?:think|thinks|thinking|thought|thoughts|dream|dreams|dreaming|obsess(?:ing|ed)?|fantasi[sz]"
          r"(?:e|ing|ed)|imagin(?:e|ing|ed)|plan|plans|planning|planned|research\w*|google\w*|look\w* up|"
          r"read(?:ing)? up|search\w*|talk(?:s|ed|ing)?|speak(?:s|ing)?)(?: a lot| so much| constantly| all the "
          r"time| every day| again| more)?"
          r" (?:about|of|on|for) (?:my own |my )?(?:dying|death|being dead|not being alive|not existing|not "
          r"being here|not being around|ending (?:it|it all|things|my life|everything)|killing myself|suicide|"
          r"jumping(?= off| from| in front|$|,| again)|my (?:own )?funeral|how i would (?:do it|die|end "
          r"it|go)|how to (?:do it|die|end it|kill myself|end my life|overdose)|ways to (?:die|end it|kill "
          r"myself|end my life)|methods|overdos\w*|lethal doses?|taking my (?:own )?life|my death)\b",
          r"\bplan(?:ning|ned)? how (?:i would|i will|to|i am going to|i could) (?:do it|die|end it|go)\b",
          r"\bimagin(?:e|ing|ed) my (?:own )?funeral\b",
          r"\b(?:painless|quick|quickest|easy|easiest|peaceful|reliable|effective|foolproof|surefire|surest|"
          r"best|fastest) (?:suicide )?(?:methods?|ways? (?:out|to go))\b",
          context=r"\b(?:what happens after|afterlife|after ?life|philosoph\w*|existential|mortality|"
                  r"religio\w*|heaven in general|meaning of life|in general|curious|class|essay|book|"
                  r"podcast|documentary|stoic\w*)\b|"
                  r"\b(?:thinking|thought|worry\w*|anxious|scared|afraid|fear) (?:about|of) (?:death|dying)"
                  r" (?:of|from) (?:my|a|the|cancer|covid|old age)\b|\b(?:planning|plan) (?:my|a|the) "
                  r"(?:funeral|death) (?:for|of) (?:my|our|the) (?:grandma|grandpa|dog|cat|mom|dad|character)"),
    # ---------------------------------------------------------------------------- suicide: means and acts
    _rule("suicide.method_jump", "suicide", "considers jumping from a height or in front of traffic",
          r"\bjump(?:s|ing|ed)? (?:off|from|out of|in front of) (?:a |the |my |this |that |our |some )?"
          r"(?:[a-z]+ )?(?:bridge|roof|rooftop|building|cliff|balcony|window|ledge|tower|overpass|parking "
          r"(?:garage|structure)|car park|train|bus|truck|lorry|traffic|platform|tracks|dam|skyscraper|"
          r"high rise|floor)\b",
          r"\b(?:step|stepping|stepped|walk|walking|walked|throw(?:ing)? myself|jump|jumping|lie|lying|lay|"
          r"run|running|ran|fall|falling) (?:out )?in(?:to| front of) (?:a |the |an |some )?(?:oncoming |"
          r"moving |passing |speeding )?(?:train|bus|truck|lorry|car|cars|traffic|subway|tram)\b",
          r"\b(?:crash|wreck|crashing|wrecking) (?:my|the) car on purpose\b",
          r"\bthrow(?:ing|n)? myself (?:off|from|in front of|under|onto|into|out of)\b",
          r"\b(?:step|stepping|stepped|jump|jumping|fall|falling|lean|leaning|walk|walking)(?: off| onto| down "
          r"onto| in front of| over| off of)? (?:the |a )?(?:platform|tracks|ledge|edge)\b[^.!?]{0,40}\b(?:when|as|"
          r"before|in front of|under|just as) (?:the |a )?(?:train|subway|tube|metro|tram)\b",
          context=r"\b(?:bungee|parachute|skydiv\w*|trampoline|pool|lake to swim|for fun|cannonball|"
                  r"in the (?:movie|film|game|show|video)|stunt|drive to|walk to|step by step|jump rope|"
                  r"jump to (?:conclusions|the)|jump at)\b"),
    _rule("suicide.method_place", "suicide", "imagines a fatal crash, fall or the tracks",
          r"\b(?:drive|driving|drove|crash|crashing|crashed|steer|steering|swerve|swerving|veer|veering)(?: my "
          r"car| the car| off)? (?:into|off|in front of) (?:a |the |oncoming |some )?(?:wall|tree|traffic|river|"
          r"lake|cliff|bridge|truck|lorry|pole|barrier|road|overpass|median|ravine|sea|edge)\b",
          r"\b(?:standing|stood|sitting|sat|waiting|climbed) (?:on|at|onto|up) (?:the |a |my )?(?:edge of "
          r"(?:the |a )?)?(?:bridge|ledge|roof|rooftop|cliff|tracks|railway|railing|balcony|edge|platform "
          r"edge)\b",
          r"\b(?:looking|look|stare|staring|stared) (?:at|down at) the (?:train )?tracks\b",
          requires=r"\b(?:think|thinking|thought|want|wish|urge|tempt\w*|on purpose|deliberately|could|should|"
                   r"how easy|end it|ending it|keep imagining|imagine|imagining|again|plan|going to|tonight|this "
                   r"weekend|tomorrow|ready|right now|about to|looking down|jump|goodbye|can not|scared|"
                   r"fantasi\w*|dream\w*|sometimes|make it stop|all over|end)\b",
          context=r"\b(?:bungee|parachute|skydiv\w*|in the (?:movie|film|game|show|video)|stunt|photo\w*|"
                  r"sunset|view|scenery|almost crashed|nearly crashed|ice|snow|brakes|tired driving|fell "
                  r"asleep at the wheel)\b|" + _LEISURE),
    _rule("suicide.at_edge", "suicide", "keeps going to a height, an edge or the tracks",
          r"\b(?:stand|stands|standing|stood|sit|sits|sitting|sat|wait|waiting|climb\w*|lean\w*|went up|go up|going "
          r"up|drive|drove|driving|walk\w*|went|go|going|been|keep going|look\w* (?:over|down))\b[^.!?]{0,30}? (?:on|"
          r"at|to|onto|up|off|from) (?:the |a |my |that |this )?(?:very )?(?:(?:top|edge|end|side|roof|ledge) of "
          r"(?:the |a |that )?)?(?:[a-z-]+ )?(?:bridge|ledge|roof|rooftop|cliffs?|edge|platform|tracks|railway "
          r"(?:line|bridge)|level crossing|railing|parapet|balcony|car park|parking (?:garage|structure)|overpass|"
          r"tower|top floor|quarry|viaduct|dam)\b",
          r"\b(?:i am|i was|i have been|i keep|every (?:morning|day|night|evening)|sometimes|i often) (?:[a-z]+ "
          r"){0,3}?(?:on|at) (?:the |a |that |this )?(?:edge of (?:the |a )?)?(?:platform|bridge|roof|rooftop|ledge|"
          r"cliff|balcony|railing|tracks)\b",
          requires=r"\b(?:again|every (?:day|morning|night|time|week)|keep|kept|for (?:an hour|hours|ages|a long "
                   r"time|a while)|how easy|one (?:step|push|jump|leap|more step)|lean(?:ing|ed)? (?:over|out|"
                   r"forward)|look(?:ing|ed)? (?:over|down)|over the edge|when the (?:[a-z]+ )?(?:train|trains|"
                   r"express|tube|subway|metro)|trains? (?:comes?|goes|pass(?:es)?|rush(?:es)?) (?:through|by|past)|"
                   r"water (?:looks|is)|right now|can not stop|think(?:ing)? about|urge|pull|tempt\w*|drawn to|jump|"
                   r"let go|(?:no one|nobody) would|calm)\b",
          context=r"\b(?:photo\w*|pictures?|selfies?|view|sunset|sunrise|scenery|hik\w*|tourist|sightsee\w*|fishing|"
                  r"bungee|skydiv\w*|climbing (?:wall|gym)|roofer|roofing|work(?:ing)? on|repair\w*|fix\w*|in the "
                  r"(?:movie|film|game|show|video)|delayed|late|annoy\w*|commute|waiting for (?:the|my) (?:train|bus|"
                  r"friend|date)|mind the gap|crowded|paint\w*|gutters?|fireworks|stars|party|barbecue|bbq|garden|"
                  r"plants|drink\w*|coffee|smok\w*|scared of heights|afraid of heights|vertigo|bar|pub|restaurant|"
                  r"cafe|friends|mates|dance floor|with my (?:family|partner|kids)|for work|to work|on my way|to "
                  r"school)\b|" + _LEISURE),
    _rule("suicide.method_question", "suicide", "asks how painful, quick or sure a method is",
          r"\b(?:is|are|would|does|do|how|will|was) (?:it )?(?:hanging(?: yourself| myself| oneself)?|drowning|"
          r"overdosing|an overdose|jumping (?:off|from) (?:a |the )?[a-z]+|bleeding out|slitting (?:your|my|the) "
          r"(?:wrists?|throat)|carbon monoxide|gassing yourself|suffocating|shooting (?:yourself|myself)|dying by "
          r"suicide|suicide by [a-z]+)(?: (?:really|very|actually|always|usually|more|less|as))? (?:painless|painful|"
          r"quick|quicker|fast|slow|hurt|hurts|take long|take a long time|reliable|work|certain|peaceful|instant|"
          r"guaranteed|the best way|the easiest way)\b",
          r"\b(?:which|what|where)(?: is| are)? (?:the )?(?:best |right |main |biggest |most [a-z]+ )?(?:one |ones "
          r")?(?:vein|veins|artery|arteries)\b[^.!?]{0,40}\b(?:cut|slit|slice|open|hit|sever|bleed|nick)\b",
          r"\b(?:where|how deep) (?:should i|do i|would i|to|do you) (?:cut|slit) (?:to|so|if|"
          r"for)\b[^.!?]{0,30}\b(?:die|bleed out|artery|vein|fatal|lethal|deep enough|not survive)\b",
          context=r"\b(?:history|historical|execution\w*|medieval|documentary|class|essay|homework|movie|film|book|"
                  r"novel|character|criminals?|death penalty|capital punishment|nurse|nursing|phlebotom\w*|blood "
                  r"(?:test|draw|sample)|iv|cannula|anatomy|exam|doctor|medical student|biology|first aid|cpr|"
                  r"lifeguard|swimming lessons?|my (?:dog|cat)|fish|lobster|paintings?|pictures?|curtains?|laundry)\b"),
    _rule("suicide.lethality", "suicide", "asks what would be lethal",
          r"(?:^|\b(?:know|wonder|wondering|tell me|asking|ask|curious|google\w*|search\w*|look\w* up|"
          r"research\w*|find out) )(?:how|what|which|is|are|can|could|does|do|will|would|at what|if)\b[^.!?]"
          r"{0,90}\b(?:fatal|lethal|deadly|kill (?:you|me|a person|someone|people)|die from|bleed out|hit an artery|"
          r"hit a vein|survive (?:a|the|that) (?:fall|jump|drop)|enough to (?:die|kill|not wake up|stop my heart)|"
          r"stop (?:a|the|my|your|someone's|his|her) heart|make sure (?:i|you|someone|a person) (?:do not|does not|"
          r"would not|will not|never) wake up)\b",
          requires=rf"\b(?:{_PILLS}|pill|tablet|dose|doses|overdose|fall|falling|floor|floors|storey|stories|"
                   r"story|building|bridge|height|high|jump|jumping|cut|cutting|deep|artery|vein|wrists?|"
                   r"hang\w*|rope|noose|drown\w*|bleed\w*|gun|shot|gunshot|carbon monoxide|gas|poison|bleach|"
                   r"antifreeze|train|cliff|roof|balcony|window|alcohol and|mixing|chemicals?|cleaning products?|"
                   r"cleaners?|drain cleaner|pesticides?|weed ?killer|rat poison|household products?)\b",
          context=r"\b(?:disease|covid|cancer|virus|flu|snake|spider|shark|bee|wasp|jellyfish|dogs?|cats?|pets?|"
                  r"plants?|mushroom\w*|berries|in the (?:game|movie|show|book)|allerg\w*|peanut|lightning|"
                  r"nurse|pharmacology|exam|essay|class|homework|fish|bacteria|germs|infection|mold|mould|"
                  r"radiation|heat ?stroke|pregnan\w*|baby|child|kids?|toddler|accidentally)\b"),
    _rule("suicide.method_pills", "suicide", "is gathering or has taken pills to overdose",
          rf"\b(?:sav(?:e|ed|ing)|stockpil(?:e|ed|ing)|collect(?:ed|ing)?|hoard(?:ed|ing)?|stash(?:ed|ing)?|"
          rf"hid(?:e|ing|den)?|gather(?:ed|ing)?|squirrel(?:l?ed|l?ing)? away|building up|put(?:ting)? aside|"
          rf"stock(?:ed|ing)? up on) (?:up |away )?(?:all )?(?:of )?(?:my |some |the |enough |these |those |"
          rf"extra |old |a lot of |a bunch of |loads of )?(?:old |leftover |spare )?{_PILLS}\b",
          rf"\b(?:stockpil(?:e|ed|ing)|hoard(?:ed|ing)?|stash(?:ed|ing)?|squirrel(?:l?ed|l?ing)? away|kept back|"
          rf"keep(?:ing)? back|held back|holding back|put(?:ting)? (?:by|aside|away)|set(?:ting)? aside|pocket(?:ed|"
          rf"ing)|sav(?:e|ed|ing) up) (?:(?:a few|a couple|a handful|one or two|some|all|one|two|half|most|enough|"
          rf"extra|lots|loads|a lot|a bunch|a stash|a supply|a pile) )?(?:of )?(?:(?:my|the|these|those|her|his|"
          rf"their) )?(?:[a-z]+'s )?(?:[a-z]+ )?{_PILLS}\b",
          rf"\benough (?:of )?(?:my |the |these |those |[a-z]+'s )?(?:[a-z]+ )?{_PILLS}\b[^.!?]{{0,30}}\b(?:to (?:do "
          rf"it|die|end it|end (?:things|my life|everything)|kill|not wake up|make sure|overdose|go through with it)|"
          rf"for (?:it|tonight))\b",
          rf"\b(?:bought|buying|buy|got|getting|picked up|picking up|collected) (?:[a-z]+ ){{0,3}}?(?:boxes|packs|"
          rf"packets|bottles|tubs|strips) of (?:[a-z]+ )?{_PILLS}\b(?=[^.!?]*\b(?:(?:different|several|separate|"
          rf"various|multiple|other) (?:shops|stores|pharmacies|chemists|places|supermarkets)|so (?:nobody|no one|"
          rf"they) (?:would|will|could) (?:not )?(?:ask|notice|suspect|know|question|stop me)|without (?:anyone|"
          rf"them) (?:noticing|asking|knowing))\b)",
          rf"\b{_PILLS}\b[^.!?]{{0,30}}\b(?:lined up|laid out|counted out|set out|spread out|in front of me)\b",
          rf"\bhow (?:many|much) (?:of )?(?:my |these |those |the |your )?(?:[a-z]+ ){{0,3}}?{_PILLS}"
          rf"\b[^.!?]{{0,40}}\b(?:(?:would|will|does|to) (?:it )?take|it would take|it takes|kill|fatal|lethal"
          rf"|to die|die|overdose|enough to|too many to|to not wake up|to stop|(?:would|will|could|to) (?:stop|shut "
          rf"down)|make sure i (?:do not|would not|will not|never) wake up|(?:not|never) wake up)\b",
          r"\b(?:lethal|fatal|deadly) (?:dose|amount|overdose)\b",
          r"\bhow (?:to|do i|can i|would i) (?:overdose|od)\b",
          rf"\b(?:took|taken|swallowed|have taken|just took|downed|take|taking|swallow|swallowing) (?:a |the |"
          rf"an )?(?:whole |entire |full )?(?:bottle|pack|packet|box|handful|bunch|lot|all|too many|everything|"
          rf"loads|dozens|\d{{2,}})(?: of)?(?: my| the| these| those| her| his)? ?(?:[a-z]+ )?{_PILLS}\b",
          rf"\balready (?:taken|took|swallowed) (?:the|all|all my|all the|all of my|all of the) (?:[a-z]+ )?"
          rf"{_PILLS}\b",
          rf"\b(?:already|just) (?:taken|took|swallowed) (?:the |my |all |all my |all the |a lot of )?"
          rf"(?:[a-z]+ )?{_PILLS}\b(?=[^.!?]*\b(?:scared|all|bottle|too many|goodbye|sorry|wait|feel|dizzy|"
          rf"sleepy|nothing|soon|want|end)\b)",
          r"\b(?:overdos(?:e|ed|es|ing)|od(?:ed|'d|ing)?)\b",
          rf"\b(?:took|taken|take|taking|swallowed) (?:more|extra|too many|a lot of|lots of|double|triple|twice "
          rf"as many)(?: of)?(?: my| the)? ?(?:[a-z]+ )?{_PILLS}\b(?=[^.!?]*\b(?:on purpose|deliberately|"
          rf"intentionally|than i should|to (?:die|sleep forever|not wake up|end it|make it stop)|want(?:ed)? to)"
          rf"\b)",
          rf"\b{_PILLS} (?:are |is )?in my hand\b",
          rf"\b{_PILLS}\b[^.!?]*\b(?:take|taking|swallow|swallowing|down|downing|gulp) (?:them all|all of "
          rf"them|every (?:one|last one|single one)|the (?:whole|entire) (?:bottle|lot|pack|box|packet)|the "
          rf"lot|all (?:at once|together))\b",
          rf"\b(?:take|taking|swallow|swallowing) (?:all )?(?:my|the|these|those) {_PILLS} (?:all )?(?:at "
          rf"once|together|in one go)\b",
          after=r"on (?:chocolate|sugar|candy|caffeine|coffee|cake|cookies|netflix|tv|television|food|pizza|"
                r"sweets|carbs|junk|memes|cuteness|love|fun|anime|games|gaming|social media|news|vitamin c|"
                r"sunshine|music|k-?pop|cheese|ice cream)\b|(?:prevention|awareness|statistics|rates?|"
                r"crisis)\b",
          context=r"\b(?:nurse|pharmacist|pharmacology|pharmacy|the patient|patients|naloxone|narcan|"
                  r"lecture|exam question|textbook|the news|opioid crisis|my dog|my cat|the dog|the cat|organi[sz]er|"
                  r"dosette|pill ?box|for the week|weekly)\b"
                  r"|\bhow many (?:pills|tablets) (?:should|can|do) i take (?:for|a day|per|with|at once "
                  r"for)\b"),
    _rule("suicide.method_other", "suicide", "mentions a suicide method",
          r"\bnoose\b",
          r"\b(?:tie|tied|tying) (?:a|the) (?:rope|noose)\b(?=[^.!?]*\b(?:neck|myself|ceiling|beam|tree|"
          r"closet|garage|ready)\b)",
          r"\brope (?:around|round) my neck\b",
          r"\bslit (?:my|his|her) (?:wrists?|throat)\b",
          r"\bcarbon monoxide\b",
          r"\b(?:engine|car|motor) (?:running|on|idling)[^.!?]{0,40}(?:garage|closed)\b|\b(?:garage|"
          r"closed)[^.!?]{0,40}(?:engine|car|motor) (?:running|on|idling)\b",
          r"\bexhaust (?:pipe|fumes)[^.!?]{0,40}(?:car|hose|myself)\b",
          r"\b(?:gun|pistol|rifle|revolver|shotgun|firearm)[^.!?]{0,60}\b(?:myself|my head|my mouth|my "
          r"temple|my chest|use it on me)\b",
          r"\b(?:put|hold|held|holding|point|pointing|pressed|pressing)(?: a| the| my| his)? (?:gun|pistol|"
          r"knife|blade|razor) (?:to|at|against) my (?:head|temple|chest|throat|wrists?|neck)\b",
          r"\b(?:drink|drank|swallow|swallowed) (?:bleach|antifreeze|poison)\b",
          rf"\b(?:sat|sitting|sit|held|holding|hold|stared at|staring at|looking at|looked at|lying|lay) (?:[a-z]+ )"
          rf"{{0,6}}(?:with )?(?:a |the |my |some |all my )?(?:razor|razor blade|blade|blades|rope|noose|gun|"
          rf"{_PILLS})\b",
          r"\b(?:let|letting) (?:myself )?bleed out\b",
          r"\bbleed(?:ing)? out\b(?=[^.!?]*\b(?:i|me|myself|want|how)\b)",
          r"\b(?:rope|noose|gun|pills|blade|razor) (?:is |are )?(?:ready|waiting|set up)\b",
          r"\bmake it look like an accident\b(?=[^.!?]*\b(?:my|me|i|family|insurance)\b)",
          context=r"\b(?:organi[sz]er|sort\w*|refill\w*|routine|reminder|dosette|week's|weekly|"
                  r"kitchen|cook\w*|shav\w*|pharmac\w*|prescri\w*|doctor|vitamins?|headache|hunting|"
                  r"range|climbing|camping|boat|sailing|tug of war|swing|gym|police|museum|water gun|toy)\b|"
                  r"\b(?:detector|alarm|hang(?:ing)? myself (?:upside down|from the monkey bars)|in (?:the|a)"
                  r" (?:movie|book|show|film|game|novel|story|series)|climbing|rock climbing|camping|boat|"
                  r"sailing|hunting|range|shooting range)\b",
          after=r"(?:detector|alarm|poisoning (?:from|in) (?:the|my) (?:boiler|heater))\b"),
    _rule("suicide.firearm_access", "suicide", "has access to a gun and dwells on it",
          rf"\b{_GUN}\b[^.!?]{{0,80}}\b(?:keep|keeps|kept|can not stop|been|always|constantly|i am|i was|started) "
          rf"(?:thinking about|looking at|staring at|checking on|going back to|holding|touching|taking (?:it|them) "
          rf"out|picturing|imagining|fantasi[sz]ing about|obsessing (?:about|over))\b",
          rf"\b(?:keep|keeps|kept|can not stop|been|always) (?:thinking about|looking at|staring at|checking on|"
          rf"going back to|holding|touching|picturing)\b[^.!?]{{0,20}}\b(?:the |my |his |her |a |[a-z]+'s "
          rf")?(?:loaded )?{_GUN}\b",
          rf"\b{_GUN}\b[^.!?]{{0,40}}\b(?:it is|is|are|they are) (?:for me|for myself|meant for me|for me to use)\b",
          rf"\b(?:took|taken|stole|stolen|grabbed|sneaked|snuck|hid|hidden|hiding|stashed|stashing|smuggled) (?:my |"
          rf"his |her |their |the |a |[a-z]+'s )+(?:[a-z]+ )?{_GUN}\b(?=[^.!?]*\b(?:nobody knows|no one knows|"
          rf"without (?:him|her|them|anyone) knowing|from (?:his|her|their|the|my) (?:house|room|closet|safe|car|"
          rf"drawer)|in my (?:room|bag|car|drawer)|under my|for me|for myself|tonight)\b)",
          context=r"\b(?:hunt\w*|range|deer|season|clean\w*|licen[cs]e|permit|police|army|military|museum|collect\w*|"
                  r"toy|water ?guns?|nerf|airsoft|paintball|video ?games?|in the (?:game|movie|film|show|book)|glue "
                  r"gun|nail gun|staple gun|heat gun|spray gun|hot glue|locked (?:away|up)|safety course|class|gun "
                  r"control|the news|law|politic\w*|ban|protection|self[- ]defen[cs]e|break-?in|burglar\w*|clay|"
                  r"skeet|shooting (?:club|sport)|sport\w*)\b"),
    _rule("suicide.hit_by", "suicide", "hopes something would kill them",
          r"\b(?:hope|hoping|wish|wishing|pray|praying|want|wanting|would not mind if|would be nice if|"
          r"would not care if)(?: that)? (?:a |the |some |an )?(?:car|bus|truck|lorry|train|plane|"
          r"lightning|something|someone|somebody|meteor|asteroid|disease|cancer|illness|accident|bullet|"
          r"stranger|virus)(?: [a-z]+){0,2} (?:would |will |could |to |might |just )?(?:hit|hits|kill|kills|"
          r"run over|runs over|run me over|runs me over|take|takes|crash into|end|ends|shoot|shoots|stab|"
          r"stabs)(?: me| my life)\b",
          r"\b(?:hope|hoping|wish|wishing|pray|praying)(?: that)? i (?:get|die|am|will get|would get|would "
          r"die|could die|just die)(?: in| into| from| of)? (?:an |a |some )?(?:accident|crash|car crash|hit|"
          r"killed|sick and die|cancer|disease|fire|plane crash|my sleep)\b",
          context=_HYPERBOLE),
    _rule("suicide.farewell", "suicide", "says a final goodbye",
          r"\b(?:goodbye|good bye|farewell|bye) (?:everyone|everybody|world|forever|all of you|cruel world|to "
          r"everyone|to everybody|to all of you|to the world|for good|for the last time|for ever|my friends "
          r"forever)\b",
          r"\b(?:this|it) (?:is|will be|would be) (?:my|the) (?:last|final) (?:message|post|text|goodbye|words|"
          r"time (?:you|i|we) (?:hear|talk|speak|see|will hear|will talk))\b",
          r"\b(?:my|a) (?:suicide|goodbye|farewell|final) (?:note|letter|message|video)s?\b",
          r"\b(?:wrote|writing|written|write|left|leave|leaving|recorded|recording|drafted|drafting) (?:a |my |"
          r"some |the )?(?:notes?|letters?|messages?|videos?) (?:for|to) (?:my |the |all my )?(?:family|"
          r"parents|kids|children|mom|mum|dad|wife|husband|partner|friends|everyone|loved ones|boyfriend|"
          r"girlfriend|sister|brother|son|daughter) (?:to (?:find|read|open|watch)|for when|for after|for "
          r"(?:them|him|her) to (?:find|read)|explaining|saying goodbye|after i am gone|when i am gone|for "
          r"once i am gone)\b",
          r"\b(?:wrote|written|writing|write|left|leave|leaving|recorded|recording|drafted|drafting|finished|made|"
          r"making|prepared|preparing) (?:a |my |some |the |individual |separate )?(?:notes?|letters?|messages?|"
          r"videos?|cards?|emails?) (?:to|for) (?:everyone|everybody|each (?:of|person)|all the people|the people|"
          r"all my|my|the|those)\b[^.!?]{0,60}\b(?:for after|after i am gone|when i am gone|for when i am (?:gone|"
          r"not here)|once i am gone|when i am (?:not|no longer) (?:here|around)|for (?:them|him|her) to (?:find|"
          r"read|open)|to (?:find|read|open|watch) (?:after|when|once|later))\b",
          r"\b(?:gave|give|giving|given|handed|handing|passing|passed|sold|selling)\b[^.!?]{0,60}\b(?:will not|am "
          r"not going to|would not|do not|no longer) (?:be )?(?:need|needing|using|use|reading|read|wearing|wear|"
          r"playing|play|riding|ride) (?:it|them|this|that|these|those|any of (?:it|them)|anything)(?: again| any "
          r"?more| any longer| where i am (?:going|headed)| after(?=\s*$))?\b" + _EVERYDAY_REASON,
          r"\b(?:gave|give|giving|given|handed|handing|passing|passed|sold|selling)\b[^.!?]{0,60}\b(?:will not|am "
          r"not going to|would not|no longer) (?:be )?[a-z]+ing(?: to| at| with| on)? (?:it|them|this|that|these|"
          r"those|any of (?:it|them)) (?:again|any ?more|any longer|where i am (?:going|headed))\b" + _EVERYDAY_REASON,
          r"(?:^|\bplease )(?:tell|let) (?:my|them|him|her|everyone|everybody) (?:[a-z]+ )?(?:know )?(?:that )?(?:i "
          r"am (?:so |really )?sorry(?=\s*$|,| and| for (?:everything|all of (?:this|it)|what i (?:am about to|did|"
          r"have done)|leaving))|it (?:was|is) not (?:their|his|her|your) fault|none of (?:it|this) (?:was|is) "
          r"(?:their|his|her|your) fault)",
          r"\b(?:put|putting|got|getting|have|had|set|setting|sorted|sorting) (?:all )?my affairs in order\b|\bmy "
          r"affairs are (?:all |now )?(?:in order|sorted|settled|taken care of|tidied up)\b|\b(?:sorted|sorting|"
          r"settled|settling|tidied up) (?:out )?(?:all )?my affairs\b",
          r"\b(?:wrote|written|writing|planned|planning|chose|chosen|picked|picking|decided|choosing|arranged|"
          r"arranging) (?:out )?(?:what|the|my|which|who)\b[^.!?]{0,30}\b(?:at|for) my (?:own )?funeral\b",
          r"\b(?:started|start|been|am) saying (?:my )?goodbyes?\b",
          r"\bsa(?:y|ying|id) (?:my )?(?:final |last )?goodbyes? to (?:everyone|everybody|the world|all my "
          r"(?:friends|family)|my (?:family|loved ones) (?:forever|for good))\b",
          r"\bsa(?:y|ying|id) (?:my )?(?:final|last) goodbyes?\b",
          r"\b(?:giv(?:e|ing)|gave|given) (?:away )?(?:all )?(?:of )?my (?:stuff|things|belongings|possessions|"
          r"pets?|everything) away\b",
          r"\b(?:giv(?:e|ing)|gave|given) away (?:all )?(?:of )?(?:my )?(?:stuff|things|belongings|"
          r"possessions|everything|all my)\b",
          r"\b(?:because|since|as|where) i (?:will not|am not going to|do not|no longer) need (?:it|them|this|"
          r"that|these|those|my [a-z]+|anything|any of (?:it|this|them|my [a-z]+))(?: any ?more| any longer|"
          r" where i am going| after(?=\s*$)| soon| much longer)?\b" + _EVERYDAY_REASON,
          r"\bmade (?:my )?peace with (?:dying|death|it all|everything|leaving)\b",
          r"\b(?:will not|won't|no longer|do not) need (?:you|this|it|them|anything|any of this|help|anyone|this "
          r"app|to talk) (?:any ?more )?(?:after|past|beyond) (?:tonight|today|this week|tomorrow|this)\b",
          r"\b(?:tell|make sure) (?:my|them|him|her) [a-z]* ?(?:i|that i) (?:love|loved) (?:them|him|her)"
          r"(?=[^.!?]*\b(?:when|after|once|for me|gone|if)\b)",
          context=r"\b(?:farewell|goodbye) (?:party|drinks|dinner|lunch|card|speech|tour|concert)\b|\b"
                  r"(?:moving|move|moved|decluttering|declutter|minimalis\w*|charity|donat\w*|garage sale|"
                  r"yard sale|kondo|new (?:house|flat|apartment|place)|outgrown|too small|old clothes)\b|"
                  r"\b(?:affairs|funeral)\b[^.!?]*\b(?:surgery|operation|retire\w*|estate|lawyer|solicitor|old age|"
                  r"pension|deploy\w*|lol|haha|lmao|joke|when i am old|grandkids|insurance company)\b|\b(?:surgery|"
                  r"operation|retire\w*|lawyer|solicitor|deploy\w*)\b[^.!?]*\b(?:affairs|funeral)\b|"
                  r"\blast message (?:of|from) (?:the day|my [a-z]+|him|her)\b"),
    _rule("suicide.plan", "suicide", "describes a plan, means or timing",
          r"\b(?:know|knew|worked out|work out|figured out|figure out|planned|plan|planning|decided|decide|"
          r"thought about|thinking about|imagin\w+|picked|chosen|chose) (?:exactly |already )?(?:how|when|where) "
          r"(?:i(?: would| will| am going to| could| should| shall| might)?) (?:do it|go through with it|end it|"
          r"finally do it)\b",
          r"\b(?:the )?means and (?:a |the |my )?plan\b|\b(?:a |the |my )?plan and (?:the )?means\b",
          r"\b(?:have|got|found|get) the means to (?:do it|end it|die|kill myself|go through with it)\b",
          r"\b(?:picked|chosen|set|chose|decided on|fixed) (?:a|the) (?:date|day|time|place|method|spot|way) "
          r"(?:to|for|when|i will|i am going to) (?:do it|die|end it|kill myself|go|end my life|go through with "
          r"it)\b",
          r"\b(?:picked|chosen|chose|decided on|settled on|found|scouted(?: out)?|set|fixed) (?:the|a|my) (?:bridge|"
          r"building|spot|place|location|cliff|tree|method|way|car park|roof|train line|date|day|time|night|"
          r"weekend)\b(?=[^.!?]*\b(?:(?:decide|pick|choose|figure out|work out|set|settle on) (?:on )?(?:when|where|"
          r"how|the (?:date|day|time|night))|no one knows|nobody knows|not telling (?:anyone|anybody|you)|will not "
          r"tell (?:anyone|anybody)|(?:just|only) (?:need|have) to (?:decide|pick|choose|wait|find the (?:courage|"
          r"nerve)))\b)",
          r"\bi have (?:picked|chosen|set|fixed) (?:the|a) (?:date|day)\s*$",
          r"\b(?:going to|will|finally|about to|ready to|time to) (?:do|go through with) (?:what|the thing) i "
          r"(?:have|had) (?:been )?(?:planning|planned|thinking about|decided)\b",
          r"\b(?:it|this|everything|it all|my life|the pain|my pain|my suffering) (?:all )?(?:ends|will end|is "
          r"ending|is going to end|will be over|is over) (?:tonight|today|tomorrow|this week|this weekend|soon"
          r"|now|for good)\b",
          r"\b(?:tonight|today|tomorrow|this weekend) is (?:when|the day|the night) (?:it|this|everything|it all|"
          r"i) (?:all )?(?:ends|end it|ends it|end|die|go|do it)\b",
          r"\b(?:bought|ordered|got|purchased|picked up|stole|taken|took|found|borrowed) (?:a |some |the |"
          r"my |more |enough |extra |a new |new |a bottle of |a pack of |[a-z]+'s )?(?:gun|guns|rope|pills|"
          r"tablets|razor blades?|razors?|blades?|poison|charcoal|helium|noose|pistol|rifle|bullets|sleeping "
          r"pills|painkillers|paracetamol)\b",
          r"\b(?:it is|it's) time (?:for me )?to go\b(?! (?:to|home|out|back|shopping|on|for|and|get|see|eat|"
          r"sleep|study|work|now to)\b)",
          r"\b(?:i|they|someone|my [a-z]+) (?:would|will|might|could|is going to) (?:find|discover) my (?:dead )?"
          r"(?:body|corpse)\b|\bmy (?:dead )?(?:body|corpse) (?:would|will|might|could|is going to) be "
          r"(?:found|discovered)\b|\bwho (?:would|will) find (?:me|my body)\b",
          requires=r"\b(?:tonight|today|tomorrow|end|ending|die|dying|kill|killing|so i can|for (?:myself|later"
                   r"|when|tonight|it|me)|use (?:it|them) on|not (?:going to )?(?:use it|for)|know what|ready|finally"
                   r"|goodbye|decision|decided|made up my mind|forever|for good|peace|sorry|love you|thank you|"
                   r"do it|plan|means|how|when|where|body|corpse|found|method|exactly|over|it all|everything|"
                   r"my life|pain|suffering|won't need|will not need|just in case|enough|no one knows|nobody knows|"
                   r"not telling (?:anyone|anybody|you)|(?:picked|chosen|set|fixed) (?:the|a) (?:date|day)|(?:have "
                   r"been|had) (?:planning|planned)|(?:pick|choose|decide on|set|fix) (?:the|a) (?:date|day|time|"
                   r"night))\b",
          context=r"\b(?:climbing|camping|hunting|range|sailing|boat|swing|tug of war|jump rope|skipping|"
                  r"headache|prescription|pharmacy|refill|vitamins?|the vet|my (?:dog|cat)|wedding|party|"
                  r"trip|vacation|holiday|meeting|interview|exam|game|movie|show|season|series|sale|deal|"
                  r"contract|lease|class|semester|shift|bed|sleep|home|bus|train|flight|plane|grill|bbq|"
                  r"balloons|birthday|art|craft\w*|project|homework|essay|the store|shopping)\b",
          unless=r"\b(?:die|dying|kill myself|end it all|end my life|suicide|goodbye forever|my body)\b"),
    _rule("suicide.checking_out", "suicide", "talks about checking out or logging off from life",
          r"\b(?:check|checks|checking|checked|clock|clocks|clocking|clocked|tap|taps|tapping|tapped|bow|bowing|"
          r"bowed|cash|cashing|log|logs|logging|logged|sign|signing|signed) (?:out|off) (?:(?:of|from) (?:life|this "
          r"life|this world|the world|existence|earth|this planet|everything)\b|(?:for good|permanently|forever|for "
          r"ever|for the last time)\b)",
          context=r"\b(?:hotel|hostel|airbnb|motel|library|cart|basket|twitter|instagram|insta|social media|facebook|"
                  r"tiktok|reddit|discord|forum|server|group ?chat|this (?:group|chat|app|site)|the (?:group|chat|"
                  r"app|site)|gym|shift|office|hospital|ward|rehab|account|subscription|retir\w*|resign\w*|quit\w*|"
                  r"career|last day|new job|job)\b",
          unless=r"\b(?:life|this world|existence|die|dying|dead|kill|suicide|pills)\b"),
    _rule("suicide.commanded", "suicide", "hears voices or thoughts telling them to die or hurt themselves",
          rf"{_VOICE_COMMAND}(?:kill myself|die|end it|end my life|jump|cut{_NOT_CUT_OBJECT}|hurt myself|harm myself|"
          rf"burn myself|do it|not (?:be here|exist|live)|disappear|overdose|drown myself|hang myself|take (?:the|my|"
          rf"all the|all my) (?:[a-z]+ )?pills|stop eating|punish myself|walk into traffic|step in front)\b"),
    _rule("suicide.keep_safe", "suicide", "doubts they can keep themselves safe",
          r"\b(?:can not|could not|not able to|unable to|do not know if i can|not sure (?:if )?i can|"
          r"struggling to|hard to|do not think i can) (?:keep|stay) (?:myself )?safe\b",
          r"\bdo not trust myself\b(?! (?:to (?:cook|drive|choose|make|pick|decide|remember|be|say|not (?:eat|"
          r"buy|text|call))|around (?:cake|sweets|chocolate|food))\b)",
          r"\b(?:scared|afraid|worried|terrified|frightened) (?:of )?(?:what )?i (?:will|might|could|am going "
          r"to|would) do to myself\b",
          r"\b(?:will|might|could|going to|afraid i will|scared i will|scared i might|afraid i might|tempted "
          r"to|about to) (?:do|try) something (?:stupid|drastic|terrible|final|permanent|i can not take back)"
          r"(?! (?:at|with|to (?:my|his|her) (?:hair|car|room|ex))\b)",
          r"\b(?:able|going|want) to stop myself from (?:killing|hurting|harming|cutting|ending)\b",
          # Uncertainty, not negation: "I can't promise myself I'll be safe tonight", "... I won't do something".
          r"\b(?:can not|could not|do not) (?:promise|guarantee|swear|say)(?: to)?(?: (?:myself|you|anyone|them|"
          r"anybody))?(?: that)? i (?:will not|would not|am not going to) (?:do (?:something|anything)(?: (?:stupid|"
          r"drastic|bad|dangerous|to myself))?|hurt myself|harm myself|try (?:again|something|anything)|act on (?:it|"
          r"them|these thoughts|the urges?)|use (?:it|them|the [a-z]+)|go through with it)\b(?! (?:at|with|to|about|"
          r"for) (?:the|my|his|her|a|an|your|our) )",
          r"\b(?:can not|could not|do not|am not able to) (?:promise|guarantee|swear|say for sure|be sure|be certain|"
          r"tell you|trust)(?: to)?(?: (?:myself|you|anyone|them|anybody|my [a-z]+))?(?: that| if| whether)? i "
          r"(?:will|would|am going to|can|will still) (?:be safe|stay safe|keep (?:myself )?safe|be okay|be alright|"
          r"be here|still be here|be around|be alive|make it(?: through)?|survive|get through|last)\b(?! (?:the "
          r"(?:exam|test|meeting|interview|deadline|class|shift|day at|week at|party|wedding|course|semester|flight)|"
          r"to (?:the|your|my|his|her|our) |on time|in time|there|by (?:\d|noon|then)|for (?:the|your|dinner|lunch)|"
          r"until (?:payday|pay day|the end of the month)|with (?:it|that|this|the|him|her|them))\b)",
          r"\b(?:can not|should not|do not think i (?:can|should)|not sure i (?:can|should)) be (?:trusted|left) "
          r"(?:alone|on my own|by myself|with myself)\b(?! (?:with|in|at|near|around) (?!myself|tonight))",
          r"\bi (?:am |will |would |might |may )?(?:not|never) (?:going to )?(?:be|feel|stay) safe (?:if|when|on my "
          r"own|alone|by myself|left alone|from myself|with myself|around myself)\b",
          r"\b(?:do not|can not|no longer|never) feel safe (?:being )?(?:alone )?(?:from|with|around) myself\b|\bnot "
          r"safe (?:being )?(?:alone )?(?:from|with|around) myself\b|\bi am (?:a danger|dangerous|a risk) to "
          r"myself\b(?! (?:in the kitchen|with (?:a|an|the|scissors|knives)|on (?:a|the) (?:bike|road|skateboard|"
          r"ladder)))",
          r"\b(?:tonight|today|this) is the (?:night|day) i (?:do it|end it|go|die)\b",
          r"\b(?:made up my mind|decided|decision is made|it is decided)\b(?=[^.!?]*\b(?:end|die|go through "
          r"with it|do it tonight|not be here|kill)\b)"),
    # --------------------------------------------------------------------------------------- self-harm
    _rule("self_harm.keyword", "self_harm", "mentions self-harm",
          r"\bself[- ]?(?:harm(?:s|ed|ing|er)?|injur(?:y|e|ed|es|ing|ies|ious)|mutilat(?:e|ed|es|ing|ion)|"
          r"hurt(?:ing)?|inflicted (?:cuts|wounds|injur\w+)|destruct(?:ion|ive) (?:urges|thoughts|behaviou?r "
          r"again))\b",
          r"\bnssi\b",
          after=r"(?:awareness|prevention|research|statistics|rates?)\b"),
    _rule("self_harm.hurt_self", "self_harm", "describes hurting their own body",
          rf"\b(?:cut|cuts|cutting|slice|slicing|sliced|slit|slitting|carve|carved|carving|burn|burns|burned|"
          rf"burnt|burning|scratch|scratched|scratching|scrape|scraped|scraping|hit|hits|hitting|punch|"
          rf"punched|punching|bite|bit|biting|bruise|bruised|bruising|hurt|hurts|hurting|harm|harms|harmed|"
          rf"harming|injure|injured|injuring|punish|punished|punishing|starve|starved|starving|choke|choked|"
          rf"choking|strangle|strangled|strangling|mutilate|mutilated|mutilating|pinch|pinched|pinching|"
          rf"stab|stabbed|stabbing|slap|slapped|slapping|bang|banged|banging|scald|scalded|hurted|beat|"
          rf"beating|whip|whipped|pierce|pierced|claw|clawed|clawing|gouge|gouged|pull|pulled|pulling|"
          rf"rip|ripped|ripping|tear|tore|tearing) (?:at )?(?:myself|my (?:own )?{_BODY}|my hair out)\b",
          r"\b(?:make|makes|making|made) myself (?:bleed|bruise|hurt|suffer|burn|bleeding)\b",
          after=r"up\b|out\b(?! of)|by (?:accident|mistake|procrastinat\w*|not (?:studying|sleeping|telling|"
                r"asking|speaking|talking)|staying|holding|being|ignoring|lying|overthinking|worrying|"
                r"comparing|waiting|keeping)|(?:more|worse) than (?:anyone|them|him|her)\b|on (?:the|a) "
                r"(?:door|table|desk|shelf|cabinet|cupboard|oven|stove|pan|corner)|(?:in|at|during) (?:the|a|my) "
                r"(?:gym|game|match|practice|kitchen|accident|fall|crash)|while (?:cooking|shaving|chopping|"
                r"running|playing|lifting|skiing|training|working out|baking|ironing|climbing|hiking)|"
                r"(?:laughing|with laughter)\b|(?:free|loose|together|away|apart)\b|"
                r"(?:with|over) (?:this|that|it|work|these|those|the|homework|my (?:studies|job|work))\b",
          before=r"\b(?:only|just) (?:be )?$|\b(?:nail|nails|hair)\b[^.!?]*$|\b(?:my|the|a|his|her|our|their"
                 r"|your) (?:cat|dog|kitten|puppy|pet|hamster|bird|parrot|rabbit|baby|toddler|kid|son|daughter|"
                 r"brother|sister|friend|nephew|niece|horse|ferret|guinea pig)\s+$|\b(?:he|she|they|it|"
                 r"someone|somebody)\s+$",
          context=_ACCIDENT + r"|\bpull(?:ing|ed)? myself (?:up|together|out|through)\b|"
                  r"\bpinch(?:ing|ed)? myself\b(?=[^.!?]*\b(?:dream|real|believe|lucky|wow|amazing)\b)|"
                  r"\b(?:beat|beating) (?:myself|me) up\b|\b(?:hurt|hurting|harm|harming) myself (?:more|"
                  r"worse) (?:than|by)\b|\bchok(?:e|ed|ing) (?:myself )?on (?:my|a|the|some) (?:food|drink|"
                  r"water|coffee|tea|sandwich)\b",
          unless=_ON_PURPOSE + r"|\b(?:again|relapse\w*|when i (?:get|feel|am) (?:upset|angry|overwhelmed|"
                 r"stressed|sad|anxious|numb)|until (?:it|i|they) (?:bleeds?|bled|bruise)\b)"),
    _rule("self_harm.cutting", "self_harm", "talks about cutting or burning themselves",
          # After a word of intent or habit, "cut"/"burn" alone means self-harm ("I want to cut so badly").
          r"\b(?:start(?:ed|ing)?|urges? to|want(?:s|ed)? to|need(?:s|ed)? to|tempted to|crave|craving|"
          r"relapse[d]?(?: and)?|keep|kept|back to|began|going to|about to|feel like|urge for|resist(?:ing)?"
          r"(?: the urge)?(?: to)?|fighting the urge to|trying not to|try not to) (?:cut|cutting|burn|burning|"
          r"self[- ]?harm|scratching)\b" + _NOT_CUT_OBJECT,
          # After a bare subject, only when nothing but time, body or degree follows ("I cut again last night").
          rf"\b(?:i|have|had|been|i have been|i have|i had) (?:cut|cutting|burned|burning) (?:again|myself|"
          rf"deep(?:er|ly)?|tonight|last night|yesterday|today|so (?:bad|deep|much)|more|my {_BODY})\b",
          r"\b(?:i|have|had|been) (?:cut|cutting)\s*$",
          after=r"(?:back|down|out|off|ties|class|loose|corners|it short|through|across|ahead|in line)\b",
          context=_ACCIDENT + r"|\b(?:hairdresser|barber|haircut|my hair|bangs|fringe|diet|calories|budget|"
                  r"costs?|expenses|spending|carbs|sugar|recipe|film|video|edit\w*|scene|sunburn\w*|burnout|"
                  r"burnt out|burned out|burning out|sunscreen|the sun|energy|cardio|fat|the fat|weight|"
                  r"candles?|incense|fuel|cd|cds|album|playlist)\b",
          unless=_ON_PURPOSE + r"|\b(?:relapse\w*|self[- ]?harm\w*)\b"),
    _rule("self_harm.cannot_stop", "self_harm", "keeps hurting themselves and cannot stop",
          rf"\b(?:can not|could not|do not know how to|unable to|not able to|struggling to|trying to|try to|tried to|"
          rf"want to|wish i could|need to|promise myself i will|promised myself i would|tell myself i will|told "
          rf"myself i would|swore i would|keep saying i will) (?:(?:ever|seem to|just) )?(?:stop|quit) "
          rf"(?:cutting{_NOT_CUT_OBJECT}|burning myself|self[- ]?harm\w*|hurting myself|harming myself|hitting "
          rf"myself|punching myself|scratching myself|cutting myself)\b",
          rf"\b(?:cutting{_NOT_CUT_OBJECT}|burning myself|self[- ]?harm\w*|hurting myself|harming myself|hitting "
          rf"myself|cutting myself)\b[^.!?]{{0,40}}\b(?:can not (?:seem to )?stop|can not quit|do it anyway|keep "
          rf"doing it|it is out of control)\b",
          context=r"\b(?:kitchen|cook\w*|chef|hair|hairdresser|barber|diet|carbs|sugar|calories|coupons?|fabric|"
                  r"sewing|crafts?|paper|film|video|edit\w*)\b"),
    _rule("self_harm.copes_by", "self_harm", "describes self-harm as a way to cope",
          r"^(?:the )?(?:cutting|self[- ]?harm\w*|burning myself|hurting myself|cutting myself|scratching "
          r"myself) (?:is|was|has been|helps|helped|makes|made|calms|calmed|feels|felt|numbs|gives)\b",
          r"\b(?:only thing|only way|one thing) (?:that )?(?:helps|works|calms me|i can cope|makes me feel)"
          r"[^.!?]{0,20}\b(?:is|was) (?:cutting|self[- ]?harm\w*|hurting myself|burning myself|when i (?:cut|"
          r"hurt myself|burn myself))\b",
          r"\bcope (?:by|through|with) (?:cutting|self[- ]?harm\w*|hurting myself|burning myself|hitting "
          r"myself)\b"),
    _rule("self_harm.cut_again", "self_harm", "reports cutting or burning again",
          r"\b(?:i|have|had|been) (?:cut|burned|burnt|hurt|harmed|scratched) (?:again|myself again)\b",
          r"\b(?:cutting|burning|scratching|hurting myself|harming myself) (?:again|every (?:day|night))\b",
          r"\brelapse(?:d|s)? (?:on|into|with|back into)? ?(?:self[- ]?harm\w*|cutting|sh|cuts|burning|"
          r"hurting myself)\b",
          r"\bsh relapse\b",
          r"\brelapse(?:d)? (?:and|after)[^.!?]{0,20}\b(?:cut|cutting|burn|burned|hurt myself)\b",
          context=r"\b(?:cut|cutting) (?:my hair|class|bangs|the grass|back)\b|" + _ACCIDENT),
    _rule("self_harm.on_purpose", "self_harm", "hurts themselves on purpose",
          r"\b(?:hit|hits|hitting|hurt|hurts|hurting|burn|burns|burned|burnt|burning|cut|cuts|cutting|"
          r"scratch|scratches|scratched|scratching|bang|bangs|banged|banging|bit|bite|bites|biting|punch|"
          r"punches|punched|punching|bruise|bruises|bruised|bruising|injure|injured|injuring|starve|starved|"
          r"starving|scald|scalded|slam|slammed|slamming|pinch|pinched|pinching|slap|slapped|slapping)"
          r"\b[^.!?]{0,50}\b(?:on purpose|deliberately|intentionally|purposely|to feel something|to feel "
          r"(?:the )?pain|to punish myself|as punishment|to calm down|so i can feel|to cope|to numb)\b",
          r"\b(?:punch|punches|punched|punching|hit|hits|hitting|bang|bangs|banged|banging|scratch|"
          r"scratches|scratched|scratching|pick|picks|picked|picking|cut|cuts|cutting|bite|bites|bit|biting|"
          r"pinch|pinches|pinched|pinching|burn|burns|burned|burning|pull|pulls|pulled|pulling|claw|claws|"
          r"clawed|clawing|slam|slams|slammed|slamming|smash|smashes|smashed|smashing|rub|rubs|rubbed|"
          r"rubbing)\b[^.!?]{0,60}\buntil (?:it|they|i|my [a-z]+|the skin)(?: [a-z]+)? (?:bleeds?|bled|bleed|"
          r"bleeding|bruises?|bruised|bruise|scars?|scarred|hurts?|hurt|went numb|is raw|are raw|breaks?|"
          r"broke|swell|swells|swelled|split|splits)\b",
          r"\bbang(?:s|ed|ing)? my head (?:against|on|into) (?:the |a )?(?:wall|floor|door|desk)\b(?=[^.!?]*"
          r"\b(?:until|when i|every time|hurt|bleed|bruise|can not stop|again)\b)",
          context=r"\b(?:mosquito|bug bite|itch\w*|eczema|rash|sunburn|laugh\w*|my (?:dog|cat|puppy|kitten)"
                  r"|the (?:dog|cat)|fingernails?|nail polish|scratch card|scratchcard|lottery|dough|"
                  r"bread|steak|meat|cake|burger|workout|gym|boxing|punching bag|heavy bag|sparring)\b|"
                  r"\bbang(?:s|ed|ing)? my head (?:against|on) (?:the )?(?:wall|desk)\b[^.!?]*\b(?:trying|"
                  r"code|bug|problem|homework|figure|fix|this (?:task|project|assignment)|math)\b"),
    _rule("self_harm.tools", "self_harm", "keeps blades or tools for self-harm",
          rf"\b(?:razor|razors|razor blade|razor blades|blade|blades|box cutter|boxcutter|scalpel|sharpener "
          rf"blade|lighter|needle|compass)\b(?=[^.!?]*\b(?:hid|hide|hidden|hiding|stash\w*|just in case|bad "
          rf"(?:nights?|days?)|on my {_BODY}|again|use it on|used it on|relapse\w*|for when|to (?:cut|hurt|"
          rf"burn)|for (?:cutting|self[- ]?harm\w*|hurting myself)|into my|across my|against my (?:skin|wrists?|"
          rf"arms?))\b)",
          r"\b(?:hid|hide|hidden|hiding|stash\w*|keep|kept|carry|carrying)\b[^.!?]{0,40}\b(?:razor|razors|"
          r"blade|blades|box cutter|scalpel)\b(?=[^.!?]*\b(?:just in case|bad (?:nights?|days?)|for when|"
          r"again|in (?:my|the) (?:room|drawer|bag|pocket|pencil case|closet|wallet))\b)",
          rf"\b(?:{_BODY}|myself|my skin) with (?:a |the |my )?(?:razor|blade|needle|lighter|compass|knife|"
          rf"scissors|glass|hot (?:spoon|spoons|water|iron))\b",
          context=r"\b(?:shav\w*|beard|legs? smooth|kitchen|cook\w*|chef|craft\w*|cardboard|boxes|"
                  r"packages?|parcels?|hobby|model|pencil|lino|wood ?work\w*|knife set|lawn ?mower|blender|"
                  r"skates?|ice skat\w*|hockey|wiper|windscreen|windshield|fan blade|candle|cigarette|"
                  r"smok\w*|bbq|barbecue|grill|camping|stove|fireplace|birthday candles?|incense|sew\w*|"
                  r"knit\w*|splinter|vaccin\w*|injection|blood test|doctor|nurse|geometry|math)\b",
          unless=rf"\b(?:on my {_BODY}|into my|across my|against my (?:skin|wrists?|arms?)|to (?:cut|hurt|"
                 rf"burn) myself|self[- ]?harm|relapse\w*)\b"),
    _rule("self_harm.wounds", "self_harm", "describes self-inflicted wounds",
          r"\b(?:fresh|new|deep|my|the|these|hide|hiding|cover|covering|covered) (?:cuts|scars|wounds|"
          r"burns|marks|gashes) (?:on|all over|across|up|along|over) my (?:wrists?|arms?|thighs?|legs?|"
          r"stomach|hips?|skin|body|forearms?|ankles?|chest)\b",
          r"\b(?:long sleeves|sleeves|bandages|band-aids|plasters)\b[^.!?]{0,40}\b(?:hide|hiding|cover|"
          r"covering)\b[^.!?]{0,20}\b(?:cuts|scars|marks|wounds|burns)\b",
          r"\bcarv(?:e|ed|ing|es)\b[^.!?]{0,40}\binto my (?:skin|arms?|legs?|thighs?|wrists?|stomach|body|"
          r"hand)\b",
          r"\b(?:cut|cuts|cutting) (?:too |so |really )?deep\b(?=[^.!?]*\b(?:bleed\w*|stop|stitches|last night"
          r"|again|myself|arm|wrist|thigh|leg)\b)",
          context=r"\b(?:surgery|operation|c-section|caesarean|appendix|accident|dog|cat|kitten|puppy|"
                  r"cooking|kitchen|oven|bike|fall|fell|chickenpox|acne|stretch marks|tattoo|knee|chopping|"
                  r"knife slipped|glass broke|broken glass)\b",
          unless=r"\b(?:cutting|self[- ]?harm\w*|did (?:it|this|them) (?:to )?myself|my own|on purpose)\b"),
    _rule("self_harm.urge", "self_harm", "describes an urge to hurt themselves",
          r"\b(?:urges?|impulses?|cravings?|temptation|tempted|desire|compulsion|need) (?:to |for )?"
          r"(?:self[- ]?harm|cut" + _NOT_CUT_OBJECT + r"|hurt myself|harm myself|burn myself|hit myself|"
          r"punish myself|relapse into (?:self[- ]?harm|cutting)|feel pain|bleed|see blood)\b",
          r"\b(?:i )?(?:deserve|need|want) to (?:be hurt|feel pain|bleed|suffer|be punished|be in pain|hurt)"
          r"\b(?! (?:my|his|her|their|someone|anyone|people|him|them)\b)",
          r"\b(?:do|did|doing|done) (?:something|anything|things|stuff) (?:bad |terrible |stupid |drastic |"
          r"awful )?to (?:myself|my body)\b",
          r"\b(?:starv(?:e|ed|ing)|not eating|stop(?:ped)? eating|refus(?:e|ed|ing) to eat|skip(?:ping)? "
          r"(?:all )?meals)\b[^.!?]{0,40}\b(?:punish\w*|deserve|as (?:a )?punishment|to hurt myself)\b",
          r"\bpunish(?:ing|ed)? myself by\b",
          context=r"\b(?:deserve to (?:be hurt|suffer)|need to (?:suffer|bleed)) (?:for|in) (?:the|this|my) "
                  r"(?:game|gym|workout|sport|training|marathon|race)\b|\b(?:no pain no gain|feel the burn)\b"),
    _rule("self_harm.other", "self_harm", "says someone else is hurting themselves",
          r"\b(?:is|are|was|were|been|keeps?|kept|started|starts|going to|planning to|plans to|wants? to|"
          r"wanted to|threaten\w* to|might|will|could|tried to|trying to|about to|tempted to|urges? to|"
          r"caught (?:him|her|them)|found out (?:he|she|they) (?:is|are|was|were|has been|have been)) "
          r"(?:\w+ )?(?:cut|cutting|hurt|hurting|harm|harming|burn|burning|starve|starving|punish|punishing|"
          r"scratch|scratching|hit|hitting) (?:himself|herself|themselves|themself)\b",
          r"\b(?:cut|cuts|cutting|hurt|hurts|hurting|harm|harms|harming|burn|burns|burning|burned|"
          r"starv(?:e|es|ed|ing)|punish(?:es|ing)?|scratch(?:es|ing)?|hit(?:s|ting)?) (?:himself|herself|"
          r"themselves|themself)\b(?=[^.!?]*\b(?:again|hid\w*|secret\w*|arms?|wrists?|legs?|thighs?|"
          r"on purpose|every|scars?|cuts|marks|sleeves)\b)",
          context=_ACCIDENT + r"|\b(?:only|just) (?:hurting|harming) (?:himself|herself|themselves) by\b"),
    # -------------------------------------------------------------------------------------- harm to others
    _rule("harm_others.intent", "harm_others", "expresses intent or urges to hurt another person",
          _adv(rf"\b(?:i|i am|i will|i would|i might|i could|i want|i need|i feel like|i am going|i plan|going "
               rf"to|want to|wanted to|plan(?:ning)? to|planned to|thinking (?:about|of)|thought (?:about|of)|"
               rf"fantasi[sz](?:e|es|ing) about|dream(?:ing|s)? (?:about|of)|urges? to|tempted to|about to|"
               rf"ready to|could|might|afraid i (?:will|might|could|am going to)|scared i (?:will|might|could|am "
               rf"going to)|worried i (?:will|might|could|am going to)|terrified i (?:will|might|could)|going to "
               rf"have to|can not stop thinking about|keep imagining|imagine|imagining|would love to|would like to"
               rf"|swear i will|swear i am going to|will end up|might end up|so close to|nearly|almost|feel like)"
               rf" <ADV>(?:snap and |lose it and |go and |just )?(?:kill|killing|murder|murdering|stab|stabbing|"
               rf"shoot|shooting|strangle|strangling|choke|choking|poison|poisoning|hurt|hurting|harm|harming|"
               rf"attack|attacking|beat up|beating up|beat|beating|punch|punching|torture|torturing|smother|"
               rf"smothering|drown|drowning|run over|running over|rape|raping|burn|burning|blow up|blowing up|"
               rf"slit|slitting|bash|bashing|hit|hitting|slap|slapping|kick|kicking|break (?:his|her|their) "
               rf"(?:neck|legs?|arms?|face|jaw|nose)|bludgeon|maim|cripple|disfigure|throw acid|get rid of|take "
               rf"out|eliminate)(?: down| up)? {_TARGET}\b"),
          after=r"(?:at|in) (?:chess|cards|tennis|the game|the match|the race|a race|the quiz|poker|fifa|"
                r"mario ?kart|a game|games|arm wrestling|monopoly|scrabble)\b|(?:for (?:eating|drinking|"
                r"finishing|taking|using|borrowing|forgetting|losing|breaking|spilling|spoiling|ruining|"
                r"snoring|wearing|waking|stealing my (?:food|fries|charger|seat|spot|snacks|clothes|"
                r"parking|pen|lunch|idea)|leaving (?:the|his|her|their) (?:dishes|mess|lights|door)|"
                r"making me (?:late|wait|laugh)|not (?:texting|calling|replying|answering|telling me|doing the"
                r" dishes|cleaning|showing up)|spoilers?|telling (?:me )?(?:the )?spoilers?|that joke|"
                r"being (?:late|so (?:annoying|slow|loud))|that pun))|to it\b|up\b|a (?:text|message|email|"
                r"dm|line|note|look|glance|smile|question|call)\b|with (?:the|a|my|this|that) (?:news|truth|"
                r"facts|question|surprise|joke|hug|kindness)\b|(?:'s )?(?:feelings|ego|chances|pride|"
                r"reputation|business|sales|score|record|career)\b|(?:out|back|off)\b|"
                r"(?:if i (?:tell|told|say|said|leave|left|break up|dump)|by (?:telling|leaving|saying|"
                r"breaking|moving|not))\b|with (?:kindness|love|compliments|questions|my (?:cooking|questions|"
                r"singing))",
          context=_GAME + r"|\b(?:lol|lmao|lmfao|rofl|jk|haha\w*|hehe\w*|just kidding)\b|"
                  r"\b(?:hugs?|hugging|tickl\w*|kisses|kissing|love (?:him|her) to death|"
                  r"squeeze (?:him|her|them))\b|\bwhoever (?:invented|made|came up)\b|" + _TRIVIAL_REASON,
          unless=r"\b(?:gun|knife|knives|weapon|bomb|blood|dead|grave|funeral|really|actually|seriously|"
                 r"literally|i mean it|not joking|not kidding|for real|kill (?:him|her|them) for (?:what|"
                 r"hurting|touching|raping|abusing))\b"),
    _rule("harm_others.attack", "harm_others", "talks about an attack or bringing a weapon",
          r"\b(?:bring|take|brought|took|carry|carrying|bringing|sneak|sneaking|sneaked|snuck)(?: a| my| the"
          r"| dad's| his| her| their| [a-z]+'s){0,2} (?:gun|guns|knife|knives|weapon|weapons|rifle|pistol|bomb|"
          r"explosives?)"
          r"(?: [a-z]+){0,2}? (?:to|into) (?:school|class|work|the office|the party|church|the mall|campus|"
          r"college|the meeting|my (?:school|class|work|office|job)|the (?:school|class|building|game))\b",
          r"\bshoot(?:ing)? up (?:the |my |a |that |this )?(?:school|office|class|workplace|place|party|mall|"
          r"church|campus|building|club|bar|store|meeting|concert)\b",
          r"\b(?:plan|planning|planned|plans|want to|going to|thinking about) (?:an? )?(?:attack|shooting|"
          r"massacre|bombing|mass shooting|stabbing|revenge attack)\b",
          r"\bmake (?:them|him|her|everyone|everybody|all of them|those people|those kids|the bullies|them "
          r"all)(?: all)? (?:pay|suffer|bleed|regret (?:it|being born|ever being born|(?:he|she|they) (?:was|"
          r"were) (?:ever )?born))\b(?! (?:for (?:the|my|it|this|that|damages|repairs|rent|bill|dinner|lunch|"
          r"the (?:damage|repairs|meal))|back)\b)",
          r"\b(?:homicidal|hit ?list|kill ?list)\b",
          r"\b(?:bash|bashing|smash|smashing|cave|caving|kick|kicking|beat|beating|punch|punching|crack|"
          r"cracking|split|splitting) (?:his|her|their|someone's|somebody's|my [a-z]+'s|that [a-z]+'s) "
          r"(?:head|face|skull|teeth|brains?) (?:in|open)\b",
          rf"\b(?:gun|knife|rifle|pistol|weapon|bat|hammer|axe|machete|shotgun)\b[^.!?]{{0,40}}\b(?:shoot|"
          rf"stab|kill|hurt|attack|murder|beat|hit|slash|cut) {_TARGET}\b",
          r"\bvoices? (?:in my head )?(?:tell|tells|telling|told|say|says|saying|said|keep telling|keeps "
          r"telling|want|wants|order|orders) me to (?:kill|hurt|harm|attack|stab|shoot|die|jump|end it|burn|"
          r"drown)\b",
          rf"\b(?:knife|knives|gun|pistol|rifle|weapon|bat|hammer|axe|machete)\b[^.!?]*\b(?:use|using) (?:it|"
          rf"them|this|that) on {_TARGET}\b",
          rf"\b(?:use|using) (?:a|the|my|his|her) (?:knife|gun|pistol|rifle|weapon|bat|hammer|axe) on "
          rf"{_TARGET}\b",
          r"\bviolent (?:thoughts|urges|fantasies|impulses|dreams|intrusive thoughts) (?:about|of|towards|"
          r"toward|against)\b",
          r"\b(?:thoughts|fantasies|images|urges|dreams|intrusive thoughts) (?:about|of) (?:hurting|killing|"
          r"harming|attacking|stabbing|strangling|shooting|drowning|smothering|poisoning) (?!myself\b)(?:my|"
          r"him|her|them|someone|people|others|the|a|other|anyone|everyone)\b",
          r"\b(?:i|want|going|will|thinking|plan|planning|fantasi\w+|dream\w*|urge|tempted)\b[^.!?]{0,30}"
          r"\b(?:burn|burning|set fire to|setting fire to|torch|torching|blow up|blowing up) (?:down )?(?:his|"
          r"her|their|my [a-z]+'s|the [a-z]+'s|my (?:ex|neighbou?r|boss|teacher)'s) (?:house|home|car|place|"
          r"apartment|flat|office|school|shop|store|building)(?: down)?\b",
          context=r"\b(?:in (?:the|a|this|that) (?:game|movie|film|show|book|novel|story|series|news)|"
                  r"documentary|podcast|true crime|history class|the news|news about|article|call of duty|"
                  r"fortnite|minecraft|video ?game|hit list of (?:songs|movies|books)|bucket list|"
                  r"photo shoot|photoshoot|shooting (?:a|the|some) (?:film|video|movie|scene|photos?|hoops)"
                  r"|basketball|hoops|paintball|airsoft|laser tag|nerf)\b"),
    # -------------------------------------------------------------------------------------------- danger
    _rule("harm_others.commanded", "harm_others", "hears voices telling them to hurt someone",
          rf"{_VOICE_COMMAND}(?:kill|hurt|harm|attack|stab|shoot|punish|poison|drown|strangle|smother|burn|push|beat|"
          rf"get rid of|silence|sacrifice) {_TARGET}\b"),
    _rule("harm_others.intrusive", "harm_others", "has thoughts or images of harming someone, or fears doing so",
          rf"\b(?:thoughts?|images?|pictures?|flashes|visions?|scenes?|ideas?|urges?|fantasies|dreams?)(?: in my "
          rf"(?:head|mind))? (?:of|about) (?:me )?(?:hurting|killing|harming|attacking|stabbing|strangling|shooting|"
          rf"drowning|smothering|suffocating|poisoning|shaking|hitting|choking|burning) (?:{_TARGET}|my [a-z]+|the "
          rf"(?:baby|kids?|child))\b",
          rf"\b(?:thoughts?|images?|pictures?|flashes|visions?|ideas?|urges?|imagin\w*|picture|picturing|see myself|"
          rf"seeing myself|visuali[sz]\w*|can not stop (?:thinking about|imagining|picturing))(?: in my (?:head|"
          rf"mind))?(?: of| about)? (?:me |myself )?(?:pushing|throwing|dropping|drowning|smothering|suffocating|"
          rf"shaking|hurting|stabbing|strangling|choking|hitting) (?:{_TARGET}|my [a-z]+|the (?:baby|kids?|child)|"
          rf"him|her|them)(?: [a-z]+){{0,2}}? (?:on purpose|deliberately|down the stairs|out of the window|off the "
          rf"(?:balcony|bridge|stairs)|over the (?:railing|balcony)|into (?:the )?(?:water|bath|pool|river|traffic|"
          rf"wall))\b",
          rf"\b(?:imagin\w*|picture|picturing|see myself|seeing myself|visuali[sz]\w*) (?:me |myself )?(?:hurting|"
          rf"stabbing|strangling|choking|smothering|suffocating|drowning|shaking) (?:{_TARGET}|my [a-z]+|the (?:baby|"
          rf"kids?|child))\b",
          r"\b(?:scared|afraid|terrified|worried|frightened) (?:that )?i (?:will|might|could|am going to|would) "
          r"(?:snap and )?(?:shake|smother|suffocate|drown) (?:the|my|our) (?:baby|babies|newborn|infant|son|"
          r"daughter|toddler|little one|kids?|children)\b",
          context=r"\b(?:lol|lmao|haha\w*|jk|by accident|accidentally|clumsy|co-?sleep\w*|fall asleep (?:with|while|"
                  r"holding)|in (?:the|a) (?:game|movie|film|show|book|novel|story|dream)|nightmare|dropping (?:him|"
                  r"her|them|the kids?|my [a-z]+) off|pushing (?:him|her|them|the [a-z]+|my [a-z]+) (?:in|on) (?:the|"
                  r"a) (?:swing|pram|stroller|buggy)|tickl\w*|hugs?)\b"),
    _rule("danger.threat", "danger", "reports a threat of violence against them",
          r"\bthreat(?:en|ens|ened|ening)?s?\b(?: [a-z]+){0,3}? (?:to )?(?:kill|hurt|harm|stab|shoot|beat|"
          r"rape|burn|strangle|choke|take (?:the|my|our) (?:kids|children|baby)|break my|end me|finish me|"
          r"bury me|get me|drown|poison|murder|hit|punch|attack|destroy me|ruin my life)\b",
          r"\bthreat\w* (?:me |us )?with (?:a |his |her |their |the )?(?:knife|gun|weapon|bat|hammer|axe|"
          r"machete|violence|a beating|death)\b",
          r"\bthreat\w* (?:to )?(?:my|our) (?:life|lives|safety)\b",
          r"\b(?:being|been|was|am|were|get|getting|got|keep getting) (?:death )?threaten(?:ed|ing)\b(?! (?:with "
          r"(?:a )?(?:fine|lawsuit|detention|eviction|being fired|firing)|by (?:my )?(?:boss|landlord|teacher|"
          r"school))\b)",
          r"\bdeath threats?\b",
          r"\bthreaten(?:s|ed|ing) (?:me|us|my (?:kids|family|children|baby|life))\b(?! (?:with (?:a )?(?:fine|"
          r"lawsuit|detention|eviction|being fired|firing|legal action|a bad review|a bad grade)|to (?:fire|sue|"
          r"evict|report|leave|break up|tell|call|cancel|unfriend|block|kick me out|take away my (?:phone|"
          r"laptop|car)))\b)",
          context=r"\b(?:threatened to (?:fire|sue|evict|report|leave|break up|call (?:my|the) (?:mom|dad|"
                  r"parents|teacher|principal)|tell (?:my|the) (?:mom|dad|parents|teacher|boss)|cancel|"
                  r"unfriend|block)|in (?:the|a) (?:game|movie|film|show|book|novel))\b|\bextinction\b"),
    _rule("danger.said_will_harm", "danger", "reports being told they will be hurt",
          rf"\b(?:said|says|told me|tells me|swore|swears|promised|promises|texted|texts|text(?:ed)? me|"
          rf"messaged|wrote|yelled|yells|screamed|screams|shouted|shouts|keeps saying|kept saying|warned me|"
          rf"threatens|threatened)(?: that| me that| me)? (?:he|she|they|he would|she would|they would|he will"
          rf"|she will|they will|he is going to|she is going to|they are going to|he was going to|she was "
          rf"going to|they were going to|he could|she could|next time he would|next time she would|one day "
          rf"he would|one day she would|it would be|i would|i will|he would rather|she would rather)"
          rf"(?: [a-z]+){{0,2}}? (?:kill|hurt|harm|stab|shoot|beat|strangle|choke|rape|burn|bury|end|finish|"
          rf"get|make (?:me|us) pay|murder|drown|poison|break|hit|punch|slit|cut) (?:[a-z]+ )?{_ME}\b",
          context=_TRIVIAL_REASON + r"|" + _HYPERBOLE + r"|\b(?:lol|haha|hahaha|lmao)\b",
          unless=_DANGER_REASON + r"|\bthreat\w*\b"),
    _rule("danger.threat_home", "danger", "reports a threat to burn or destroy their home with them in it",
          r"\b(?:burn|blow up|torch|set fire to)(?: down)? (?:our|my|the) (?:house|home|flat|apartment|car|"
          r"place)(?: down)? with (?:us|me|my [a-z]+|the kids|the children|everyone) (?:inside|in it|in there)\b",
          r"\b(?:said|says|threat\w*|swore|told me|yelled)\b[^.!?]{0,40}\b(?:burn|blow up|torch|set fire to)"
          r"(?: down)? (?:our|my|the) (?:house|home|flat|apartment|place)\b"),
    _rule("danger.will_harm_me", "danger", "fears someone will hurt them",
          rf"\b{_SUBJ}(?: is| are| was| were)?(?: really| actually| definitely| probably| totally)? "
          rf"(?:going to|gonna|will|would|might|could|is going to|wants to|want to|is trying to|tried to|"
          rf"trying to|is about to|plans to|planning to|swore to|is coming to|came to|coming to|said he would"
          rf"|said she would|is out to|means to|intends to) (?:really )?(?:kill|hurt|harm|stab|shoot|beat|"
          rf"strangle|choke|rape|attack|murder|beat up|hit|punch|kidnap|take|drown|poison|smother|run over)"
          rf"(?: [a-z]+)? {_ME}\b",
          context=_TRIVIAL_REASON + r"|" + _HYPERBOLE + r"|\b(?:lol|haha|hahaha|lmao|for (?:lunch|dinner|"
                  r"coffee|drinks|a (?:walk|drive|ride|date)|the (?:weekend|day|movies)))\b|"
                  r"\btake (?:me|us) (?:to|out|home|for|shopping|along|with)\b",
          unless=_DANGER_REASON),
    _rule("danger.abuse", "danger", "reports being physically or sexually hurt by someone",
          rf"\b{_SUBJ}(?: [a-z]+){{0,2}}? (?:hits|hit|hitting|beats|beat|beating|beaten|punches|punched|"
          rf"punching|kicks|kicked|kicking|slaps|slapped|slapping|chokes|choked|choking|strangles|strangled|"
          rf"strangling|pushed|shoves|shoved|pushes|pushing|shoving|throws|threw|throwing|burns|burned|"
          rf"burnt|stabbed|stabs|cut|cuts|attacked|attacks|attacking|assaulted|assaults|assaulting|raped|"
          rf"rapes|raping|molested|molests|molesting|abuses|abused|abusing|hurts|hurt|hurting|bit|bites|"
          rf"drugged|drugs|locks|locked|locking|ties|tied|starves|starved|starving|whips|whipped|belts|"
          rf"belted|smacks|smacked|smacking|slammed|slams|dragged|drags|grabbed|grabs|grabbing|pinned|"
          rf"pins|held|holds|kidnapped|trafficked|pimps|forces|forced|touches|touched|touching|"
          rf"gropes|groped|groping|fondles|fondled) (?:me|us|my (?:mom|mum|mother|sister|"
          rf"brother|siblings|kids|children|baby|son|daughter|little [a-z]+))\b",
          after=r"(?:off|out|back|with (?:the|a|his|her|their) (?:news|truth|facts|question|fact|words|"
                r"silence|ball|snowball|pillow)|hard when|to (?:it|the punch|a drink|dinner|lunch|the car|"
                r"the store|school|work|the (?:doctor|hospital|party))|to (?:do|be|go|try|eat|study|"
                r"apply|exercise)|into (?:doing|applying|trying|going)|away|too hard|aside|forward|a (?:drink|"
                r"coffee|bone|lifeline|favour|favor|break|text|message|email|call)|down (?:to|for))\b|"
                r"(?:in|at) (?:chess|cards|tennis|the game|the match|the race|a race|poker|games|fifa|mario)"
                r"|in (?:my|the) (?:feelings|heart|pride|ego)\b|on (?:the|my) (?:arm|shoulder) (?:playfully|"
                r"as a joke)|in the (?:face|head|face with) (?:a |the )?(?:ball|snowball|pillow)",
          context=r"\b(?:feelings|emotionally|words|said|saying|lied|lies|lying|cheated|cheating|left me|"
                  r"leaving me|broke up|dumped|ignored|ignoring|betray\w*|so much|a lot|deeply|behind my back|"
                  r"ghost\w*|unfollowed|blocked|criticis\w*|critici\w*|comment\w*|by not|never (?:called|texted)"
                  r"|forgot|did not invite|excluded|left out|wrestl\w*|play ?fight\w*|tickl\w*|pillow fight"
                  r"|tag|dodgeball)\b|" + _GAME + r"|\b(?:my (?:dog|cat|puppy|"
                  r"kitten|hamster|parrot|bird))\b|\b(?:touched|touches) me (?:deeply|so much|a lot|"
                  r"emotionally)\b|\b(?:held|holds|grabbed|grabs) (?:me|us) (?:close|tight|hand|when i cried"
                  r"|a )\b|\b(?:hugged|hugs|hugging|tickl\w*|cuddl\w*|kiss\w*)\b|\b(?:pushed|pushes|push) (?:me"
                  r"|us) (?:to|into)\b|\b(?:hit|hits|held|holds) (?:me|us) up\b|\bbeat (?:me|us) (?:at|in) "
                  r"(?!(?:the |my |our |his |her )?(?:face|head|stomach|chest|back|ribs|arms?|legs?|home|house|"
                  r"room|kitchen|bedroom|car|garage|park|street|basement|night|front|public|bed)\b)",
          unless=r"\b(?:bruise\w*|bleed\w*|blood|black eye|hospital|injur\w*|broken (?:bone|arm|nose|rib|"
                 r"wrist|jaw)|scared|afraid|terrified|police|when (?:he|she|they) (?:is|are|was|were|gets?|"
                 r"got) (?:drunk|angry|mad|high|upset)|down the stairs|against the wall|to the ground|"
                 r"until|knife|gun|belt|strangl\w*|chok\w*|raped|molest\w*|do not want|did not want|"
                 r"without (?:my )?consent|inappropriate\w*|private|at night|in my (?:room|bed)|uncomfortable"
                 r"|will not stop|when (?:no ?one|nobody)|secret|when i was (?:little|young|a kid|a child|"
                 r"small))\b"),
    _rule("danger.night_visits", "danger", "describes someone coming to their bed or room in a frightening way",
          rf"\b{_SUBJ}(?: [a-z]+){{0,2}}? (?:comes|came|keeps coming|kept coming|sneaks|sneaked|snuck|gets|got|"
          rf"climbs|climbed|walks|walked) (?:in|into|in to) (?:my|bed with me|the) (?:bed|room|bedroom|shower|"
          rf"bathroom)\b",
          requires=r"\b(?:night|tell|told|scared|afraid|touch\w*|lock\w*|do not want|did not want|secret|nobody"
                   r"|no one|uncomfortable|drunk|again|when i am asleep|while i sleep|pretend|freeze|froze)\b",
          context=r"\b(?:to (?:say|wake me|check|kiss me goodnight|tuck me)|my (?:dog|cat|puppy|kitten|baby|"
                  r"toddler|little)|nightmare|thunder|storm|scared of the dark)\b"),
    _rule("danger.sexual_violence", "danger", "reports sexual violence or abuse",
          r"\b(?:raped?|raping|rapist|sexual(?:ly)? (?:assault(?:ed)?|abuse(?:d)?|abusing|harass(?:ed|ment)?"
          r"|exploit(?:ed|ation)?)|molest(?:ed|ing|ation|s|er)?|sexual assault|groom(?:ed|ing) me|"
          r"non-?consensual|without my consent|incest|date rape|roofied|roofie|revenge porn|leaked my nudes|"
          r"shared my nudes)\b",
          r"\b(?:forced|made|makes|forces|pressured|pressures) me (?:to |into )(?:have sex|do (?:sexual|things|"
          r"stuff) (?:i|that i) (?:did not|do not) want|sexual|send (?:nudes|pictures|photos))\b",
          r"\btouch(?:es|ed|ing)? me (?:inappropriately|down there|in (?:my )?private)\b",
          after=r"(?:culture|case|cases|statistics|jokes?|scene|kit|seed|seed oil|in the (?:news|movie|"
                r"show|book))\b",
          context=r"\b(?:in (?:the|a|this) (?:movie|film|show|series|book|novel|documentary|news|article"
                  r"|podcast|case)|the news|news about|trial|verdict|lawyer for|history of)\b",
          unless=r"\b(?:i was|i got|i have been|he|she|they|me|my)\b(?=[^.!?]*\b(?:raped?|molest\w*|"
                 r"assault\w*|abuse\w*)\b)"),
    _rule("danger.domestic", "danger", "describes domestic abuse",
          r"\b(?:abusive|abuser|domestic (?:violence|abuse)|being abused|been abused|was abused|am abused|"
          r"abuses me|abused me|abusing me|battered|coercive control)\b",
          r"\bbeaten (?:up )?(?:by|at home|again|every)\b",
          r"\b(?:controls|tracks|monitors) (?:my|everything i) [a-z ]{0,20}and (?:hits|hurts|threatens)\b",
          r"\bwalk(?:ing)? on eggshells[^.!?]{0,40}(?:hit|hurt|violent|angry|rage|temper)\b",
          rf"\b(?:{_SUBJ}) (?:is|are|was|gets|get|becomes|has been|can be) (?:[a-z]+ and )?(?:so |very |really "
          rf")?(?:violent|dangerous)\b",
          r"\bviolent (?:husband|wife|partner|boyfriend|girlfriend|father|mother|dad|mom|stepdad|stepfather|"
          r"ex|home|household|relationship)\b",
          after=r"(?:substance|drug|alcohol)\b",
          context=r"\b(?:(?:book|novel|memoir|film|movie|documentary|podcast|article|story|show|series|biography|"
                  r"essay) (?:about|on|where|in which)|substance|drug|alcohol|child abuse (?:awareness|prevention)|"
                  r"in (?:the|a|this) "
                  r"(?:movie|film|show|book|novel|series|news|documentary)|video ?games?|sport|rugby|boxing|"
                  r"neighbou?rhood|area|city|storm|weather|dog|cat)\b|\bthe word abusive\b"),
    _rule("danger.unsafe", "danger", "says they are not safe or in danger",
          r"\b(?:not|never|no longer) (?:feel |feeling |felt )?(?:very |completely |totally |really |"
          r"entirely |100% )?safe (?:at home|in my (?:own )?(?:home|house|room|relationship|apartment|flat|"
          r"bed)|with (?:him|her|them|my [a-z]+)|around (?:him|her|them|my [a-z]+)|here|anymore|any more|"
          r"right now|tonight|alone with|going home|to go home|in this house|where i (?:am|live))\b",
          r"\b(?:i am|i feel|i do not feel|i am not|feel) (?:so |very )?unsafe (?:at home|with|around|in my|"
          r"here|right now)\b",
          r"\b(?:i am|i feel|we are|my life is|my kids are|my children are|my baby is|i think i am|i might be|"
          r"i feel like i am|i could be|i may be|we might be|i am in) (?:in )?(?:real |serious |immediate |"
          r"grave )?danger\b(?! (?:of|zone)\b)",
          r"\b(?:scared|afraid|terrified|frightened|fear|fearing|worried) for my (?:life|safety|kids'? (?:lives|"
          r"safety)|children's (?:lives|safety))\b",
          r"\b(?:scared|afraid|terrified|frightened) (?:to go|of going) home\b(?=[^.!?]*\b(?:he|she|they|"
          r"dad|mom|father|mother|husband|wife|partner|boyfriend|girlfriend|stepdad|stepfather|hit|hurt|"
          r"beat|drunk|angry)\b)",
          r"\b(?:i am|i feel|i do not feel) not (?:feel )?safe\s*$|\bi do not feel safe\s*$",
          r"\b(?:i am|i was|we are|i have been|i feel) (?:locked|trapped|held|being held|kept|stuck) (?:in|"
          r"inside) (?:[a-z]+ )?(?:room|house|home|apartment|flat|basement|car|closet)\b(?=[^.!?]*\b(?:he|she|"
          r"they|him|her|them|won't let|will not let|can not get out|scared|help|drunk|violent|angry)\b)",
          context=r"\b(?:roller ?coaster|ride|haunted|horror|movie|film|game|scary movie|turbulence|"
                  r"exam|test|presentation|interview|dentist|the (?:stock )?market|crypto|password|"
                  r"browser|website|vpn|wifi|software|app|snow|storm|traffic|lockdown|quarantine)\b"),
    _rule("danger.stalked", "danger", "is being followed, stalked or confined",
          rf"\b(?:{_SUBJ}|my ex|this person|a car|a van)(?: is| are| was| were| keeps| has been| have been|"
          rf" kept)? (?:following|stalking|watching|chasing|tracking|hunting|waiting for) (?:me|us)\b",
          r"\b(?:being|been|was|am|get|got|getting) (?:stalked|followed home|followed|hunted|chased|"
          r"kidnapped|abducted|trafficked|held hostage|held captive)\b",
          r"\b(?:stalker|stalking me)\b",
          rf"\b(?:{_SUBJ}|my ex)(?: keeps?| kept| has been| is| was)? (?:showing|turning) up (?:at|outside|"
          rf"near) my (?:house|home|work|job|door|school|apartment|flat|window|car)\b",
          r"\b(?:lock(?:s|ed|ing)?|keep(?:s|ing)?|kept|trap(?:s|ped|ping)?|shut(?:s|ting)?) (?:me|us) "
          r"(?:in|inside|up|in (?:my|the|a) (?:room|house|basement|closet|cupboard))\b(?! (?:a |the )?"
          r"(?:hug|conversation|loop|job|contract)\b)",
          r"\b(?:will not|does not|do not|did not|never|refuses to|refused to|would not) let (?:me|us) "
          r"(?:leave|go (?:outside|out of the house|home|anywhere)|eat|sleep|have (?:my|a) phone|use (?:my|"
          r"the|a) phone|call (?:anyone|the police|for help|my (?:mom|mum|dad|family|friends))|see (?:anyone|"
          r"my family|my friends)|talk to (?:anyone|my family|my friends)|out of (?:the|his|her|my) (?:house|"
          r"sight|room|apartment|flat))\b(?! (?:early|the party|work|class|the office|the table|the game|"
          r"before|until (?:i|we) finish|till (?:i|we) finish)\b)",
          r"\b(?:will not|does not|do not|did not|never|refuses to|refused to|would not) let (?:me|us) out\b"
          r"(?=[^.!?]*\b(?:locked|lock|trap\w*|room|house|scared|help|hit|hurt)\b)",
          r"\block(?:ed|s)? (?:the|all the|my|our|the front|the bedroom) doors?\b[^.!?]{0,50}\b(?:took|takes|taken|"
          r"taking|smashed|broke|hid|hides|grabbed) (?:away )?my (?:phone|keys|car keys|passport|id)\b|\b(?:took|"
          r"takes|taken|taking|smashed|broke|hid|hides|grabbed) (?:away )?my (?:phone|keys|car keys|passport|"
          r"id)\b[^.!?]{0,50}\block(?:ed|s)? (?:(?:the|all the|my|our|the front|the bedroom) doors?|me in|us in)\b",
          r"\b(?:took|takes|taken|taking|smashed|broke) (?:away )?my (?:phone|passport|keys|id|car keys|"
          r"money)\b(?=[^.!?]*\b(?:leave|locked|lock|trap\w*|call|help|escape|scared|will not let)\b)",
          after=r"(?:on (?:instagram|twitter|tiktok|social media|insta|x|facebook|twitch|youtube|"
                r"snapchat|snap|spotify|strava|linkedin)|online|around (?:the house|everywhere|the kitchen)|"
                r"play|perform|sing|dance|dance class|back|in the (?:game|movie|show))\b",
          context=r"\b(?:followers|followed me back|follow me back|subscribers|in the game|in (?:the|a) "
                  r"(?:movie|film|show|book|dream)|documentary|podcast|true crime|nightmare|dreamt|dreamed|my (?:dog|"
                  r"cat|puppy|kitten|"
                  r"toddler|baby)|little (?:brother|sister)|kids (?:keep|are) following|locked me out|"
                  r"lock (?:me )?out)\b|\blet me (?:eat|sleep) (?:dessert|cake|sweets|candy|in|late|over)\b|"
                  r"\bwill not let me (?:leave|go) (?:the table|until i finish|early)\b"),
    _rule("danger.tracked", "danger", "is tracked, watched or located by someone they fear",
          rf"\b(?:{_SUBJ}|my ex|this person|a stranger|someone)(?: [a-z]+){{0,3}}? (?:knows|know|knew|found out|"
          rf"found|has found|figured out|worked out|tracked down|got hold of|has got|got|keeps? finding) (?:exactly "
          rf")?(?:where (?:i|we) (?:live|am|are|work|sleep|stay|go to school|moved)|my (?:new )?(?:address|location|"
          rf"home address|number|school|workplace|flat|apartment|house))\b",
          rf"\b(?:{_SUBJ}|my ex|this person|a stranger|someone|a (?:car|van))(?: [a-z]+){{0,4}}? (?:has been |have "
          rf"been |keeps |kept |was |is |are |were )?(?:parked|parking|waiting|sitting|standing|lurking|loitering|"
          rf"hanging around|watching me) (?:outside|near|across from|opposite|by|at the end of|in front of|around|"
          rf"at) (?:my|our) (?:house|home|flat|apartment|building|work|job|office|school|door|window|car|street|"
          rf"gate)\b",
          r"\b(?:describ\w*|know\w*|knew|telling me|told me|tells me|said|says|mention\w*|texted|texts|messag\w*|"
          r"commented on) (?:me )?(?:exactly )?(?:what i (?:am|was|have been) (?:wearing|doing)|where i (?:am|was) "
          r"(?:right now|sitting|standing|today|last night|at))\b",
          requires=r"\b(?:scared|afraid|terrified|frightened|threat\w*|stalk\w*|keeps|kept|again|every (?:night|day|"
                   r"morning)|for hours|all night|this week|unknown|anonymous|stranger|someone|number|account|will "
                   r"not leave me alone|dead|warn\w*|followed|showed up|turned up|old job|do not know (?:him|her|"
                   r"them|who))\b",
          context=r"\b(?:uber|taxi|cab|lyft|delivery|driver|courier|parcel|package|pizza|pick (?:me|us) up|picking "
                  r"(?:me|us) up|carpool|school run|surprise|birthday|flowers|gift|present|the census|neighbou?rhood "
                  r"watch|my (?:mom|mum|dad|parents|sister|brother|best friend|bestie) (?:knows|said|says|texted)|"
                  r"driveway|parking (?:space|spot)|blocked)\b"),
    _rule("danger.veiled_threat", "danger", "reports a threat to their life, spoken or made conditional",
          r"\b(?:said|says|told me|tells me|swore|swears|warned me|warns me|texted|texts|threatened|threatens|"
          r"screamed|yelled|shouted|keeps saying|kept saying|shouting|yelling|screaming|"
          r"wrote)\b[^.!?]{0,60}\b(?:(?:nobody|no one|they|the police|anyone) (?:will|would|could|is going to|are "
          r"going to) (?:ever )?find (?:my|your|the) (?:body|remains)|(?:i|you|we) (?:will not|would not|are not "
          r"going to|am not going to|is not going to) (?:live|survive|make it|be alive) (?:to see|through|past|until|"
          r"till|long enough|to)|(?:i|you|we) (?:will|would) (?:end up|be) (?:dead(?! (?:last|tired|wrong|right|"
          r"serious|even|centre|center|set|heat|on))|in a (?:ditch|grave|box|body bag)|in the (?:ground|river))|(?:i|"
          r"you) (?:will|would) never get away)\b",
          r"\bif (?:i|we) (?:ever )?(?:tell|told|say anything|said anything|talk|speak|call|report|go to|leave|left|"
          r"try to leave|tell anyone)\b[^.!?]{0,50}\b(?:he|she|they)(?: would| will| is going to| are going to| was "
          r"going to| could)? (?:really )?(?:kill|hurt|harm|beat|hit|stab|shoot|rape|burn|drown|do something to|take "
          r"away) (?:me|us|her|him|them|my [a-z]+|the (?:kids|children|baby|dog|cat)|our [a-z]+)\b",
          context=_TRIVIAL_REASON + r"|" + _HYPERBOLE + r"|\b(?:lol|haha|hahaha|lmao)\b",
          unless=_DANGER_REASON + r"|\b(?:threat\w*|does to me|did to me|what (?:he|she|they) (?:does|did))\b"),
    _rule("danger.intrusion", "danger", "says someone is breaking in or is at their home",
          r"\b(?:someone|somebody|a (?:man|guy|stranger|person|woman)|people|they|he|she|my ex|an intruder"
          r"|intruders?)(?: is| are| was| has been| keeps)? (?:trying to )?(?:break(?:ing)?|get(?:ting)?|"
          r"force|forcing) (?:in|into) (?:my |our |the )?(?:house|home|apartment|flat|room|place|door)?\b",
          r"\b(?:broke|breaks|broken) in(?:to)? (?:my |our |the )?(?:house|home|apartment|flat|room|place)?"
          r"\b(?! (?:car|shed|locker|office|garage|store|shop|school|computer|account|laptop|phone)\b)",
          r"\b(?:someone|somebody|a (?:man|guy|stranger|person|woman)|an intruder|people)(?: is| are)? "
          r"(?:in|inside|outside|at|banging on|pounding on) (?:my|our|the) (?:house|home|door|window|room|"
          r"apartment|flat|bedroom)\b(?=[^.!?]*\b(?:scared|afraid|hid\w*|help|will not leave|banging|threat\w*"
          r"|hurt|kill|yelling|screaming|police|knife|gun|night|do not know|trying|right now|stranger|"
          r"saying)\b)",
          r"\bhiding (?:from (?:him|her|them|my [a-z]+|someone|a man|the man|this guy|a stranger|an intruder|"
          r"my ex)|in (?:the|my|a) (?:bathroom|closet|wardrobe|basement|attic|cupboard|car|locked room) "
          r"(?:from|because|so (?:he|she|they)|while (?:he|she|they)))\b",
          context=r"\b(?:account|computer|laptop|phone|email|password|instagram|facebook|game|server|"
                  r"hide and seek|hide-and-seek|surprise party|santa|the cat|the dog|my dog|my cat|"
                  r"delivery|package|chores|homework|work|responsibilities|the sun|the rain|spoilers|"
                  r"broke into (?:song|tears|laughter|a smile|a run|a sweat))\b|"
                  r"\bhiding from my (?:chores|homework|problems|feelings|responsibilities|work|boss|"
                  r"emails|inbox|family for a (?:bit|while))\b"),
    _rule("danger.spiked", "danger", "may have been drugged or blackmailed",
          r"\b(?:spiked my drink|my drink (?:was|got|has been|is) spiked|drugged me|i think i (?:was|have "
          r"been|got|am) drugged|i (?:was|got|have been) drugged|put something in my drink|roofied me)\b",
          r"\b(?:blackmail(?:s|ed|ing)? me|(?:being|been|am|is) blackmail(?:ed|ing)|sextort\w*|extort(?:s|ed|"
          r"ing)? me)\b",
          r"\bthreatening to (?:leak|post|share|send) (?:my|the) (?:nudes|photos|pictures|videos|pics)\b",
          context=r"\bemotional(?:ly)? blackmail\w*\b|\b(?:in (?:the|a) (?:movie|film|show|book|game|news))\b"),
    # ------------------------------------------------------------------------------ other languages (keywords)
    _rule("suicide.other_language", "suicide", "mentions suicide or a wish to die (non-English keyword)",
          r"\b(?:suicidio|suicidarme|suicidarse|suicidaire|me suicider|suizid\w*|selbstmord\w*|"
          r"quiero morir(?:me)?|me quiero matar|quiero matarme|voy a matarme|quitarme la vida|"
          r"no quiero vivir|je veux mourir|envie de mourir|je vais me tuer|me tuer|ich will sterben|"
          r"ich will nicht mehr leben|mich umbringen|bringe mich um|quero morrer|vou me matar|me matar|"
          r"suicídio|voglio morire|uccidermi|togliermi la vita|zelfmoord|ik wil dood)\b"),
)

RULE_IDS = tuple(rule.id for rule in RULES)
assert len(set(RULE_IDS)) == len(RULE_IDS), "rule ids must be unique"
assert {rule.category for rule in RULES} <= set(CATEGORIES)

# Severity order when a message matches several categories.
_PRIORITY = {category: i for i, category in enumerate(CATEGORIES)}

# ---------------------------------------------------------------------------------------------------------
# Negation
# ---------------------------------------------------------------------------------------------------------

_NEGATORS = frozenset({"not", "never", "no", "nor", "without", "nothing", "none", "neither"})
# Words that may stand between a negator and the crisis phrase it negates ("I have no *intention of*
# harming myself", "I'd never *do anything to* hurt myself"). Anything else ends the negation's reach.
_FILLER = frozenset(
    ["i", "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "do", "does", "did", "would", "will", "could", "should", "can", "might", "may", "ever", "really", "actually", "even", "just", "going", "to", "gonna", "want", "wanted", "wanting", "plan", "plans", "planning", "planned", "intention", "intentions", "intend", "intending", "thoughts", "thought", "thinking", "think", "about", "of", "any", "anything", "something", "that", "like", "feel", "feeling", "felt", "desire", "desires", "urge", "urges", "try", "trying", "tried", "considering", "consider", "again", "currently", "seriously", "honestly", "definitely", "longer", "more", "ready", "myself", "it", "do", "doing", "anymore", "ever", "at", "all", "serious", "real", "wish", "wishes", "wishing", "need", "needs", "needed", "so", "such", "the", "a", "an"])
# Uncertainty before a negator cancels it: "I can't promise I won't hurt myself".
_UNCERTAIN = re.compile(r"\b(?:promise|sure|know if|know whether|guarantee|trust myself|certain|swear|"
                        r"if i can|whether i can|hope|hoping|trying|try|struggl\w*|how long|afraid|scared|"
                        r"worried|unless|but what if|what if)\b")
_CLAUSE_BREAK = re.compile(r".*(?:,|:|\b(?:but|although|though|however|yet|except|and then|so|because|"
                           r"whereas|while)\b)")
# Negation that follows the phrase: "suicide has never crossed my mind".
_POST_NEGATION = re.compile(
    r"^\W*(?:(?:has|have|had|is|was|are|were)? ?(?:never|not) (?:crossed|entered|been on) my mind|"
    r"(?:is|was|are|would be|will be) (?:not|never|no longer) (?:an option|something i (?:would|will|am going"
    r" to)|on the table|a thought|in my thoughts|something i (?:think|thought) about|a (?:thing|problem)"
    r" for me)|(?:is|are) off the table|(?:is|are) out of the question|i would never do|i will never do|"
    r"(?:is|was) never (?:an option|something))")
# A phrase about the past, with clear recovery elsewhere in the message: "I used to cut, but I've been clean
# for five years and feel good".
_PAST = re.compile(r"\b(?:used to|years ago|months ago|when i was (?:younger|a teen|a teenager|in school|a kid|"
                   r"little|in high school|in college)|in the past|back then|long time ago|as a teen(?:ager)?|"
                   r"a long time ago|at one point|once upon|formerly|previously)\b")
_RECOVERED = re.compile(
    r"\b(?:doing (?:well|better|good|great|okay|fine|much better) now|(?:today|now|these days|nowadays),? i am "
    r"(?:doing )?(?:well|better|good|great|okay|fine|stable|happy|healthy)|i am (?:doing )?(?:well|better|much "
    r"better|good|great|okay|fine|stable) (?:now|these days|nowadays|today)|(?:i )?feel(?:ing)? (?:good|better|"
    r"great|much better|fine|okay|stable|happy) (?:now|these days|today|again)?|recovered|in recovery|clean "
    r"for|(?:therapy|treatment|medication|meds|counsel+ing|my therapist|support) (?:really )?(?:helped|"
    r"helps|saved|changed)|much better now|have not (?:done it|self[- ]?harmed|hurt myself|cut|felt that way)"
    r" (?:in|for|since)|(?:no longer|not any more|not anymore) (?:feel|have|think|do)|(?:happy|stable|safe) "
    r"now|past that|behind me|over it now|proud of (?:how far|myself))\b")


# A negated wish that the rest of the sentence says is out of control: "I don't want to hurt myself, but I can't
# stop doing it" is not a negation.
_COMPULSION_AFTER = re.compile(
    r"\b(?:but|yet|and|though|although|however)\b[^.!?]{0,50}\b(?:(?:(?:i )?(?:can not|could not) (?:seem to "
    r")?(?:stop|quit|help it|help myself|control it)(?: doing it| doing that| it| myself)?|keep (?:on )?doing it|"
    r"keep doing that|still do(?:ing)? it|do it anyway|did it anyway|end up doing it|it keeps happening|the urges? "
    r"(?:is|are) too strong|it is out of control)(?=\s*$|\s*,|\s+(?:and|but|so|no matter|even|every|any ?more)\b))")


def _negated(sentence: str, start: int, end: int) -> bool:
    """Whether the phrase at sentence[start:end] is negated right before or right after it."""
    prefix = sentence[:start]
    clause_match = _CLAUSE_BREAK.match(prefix)
    clause = prefix[clause_match.end():] if clause_match else prefix
    words = re.findall(r"[a-z']+", clause)
    negated = False
    for i in range(len(words) - 1, max(-1, len(words) - 9), -1):
        word = words[i]
        if word in _NEGATORS:
            negated = not _UNCERTAIN.search(" ".join(words[:i]))
            break
        if word not in _FILLER:
            break
    negated = negated or bool(_POST_NEGATION.match(sentence[end:]))
    return negated and not _COMPULSION_AFTER.search(sentence, end)


def _past_and_recovered(sentence: str, start: int, text: str) -> bool:
    return bool(_PAST.search(sentence[:start]) or _PAST.search(sentence[start:])) and bool(_RECOVERED.search(text))


# A joke: a joke marker ("lol", "jk", "haha") together with the frame of a hyperbole ("if I have to sit through
# another meeting ...", "that exam was so hard I ...") about an everyday thing. A marker alone is not enough ("i
# want to die lol" is often how people say it and mean it), nor is a joke about life itself ("if I have to go on
# like this I'll kill myself lol").
_JOKE_MARK = re.compile(r"\b(?:lol|lmao|lmfao|rofl|jk|j/k|haha\w*|hehe\w*|just kidding|kidding|joking|xd)\b|"
                        "[\U0001F602\U0001F923\U0001F480\U0001F643\U0001F605]")
_JOKE_FRAME = re.compile(
    r"\bif (?:i (?:have|had|need|got) to|i (?:hear|see|get|lose|fail|miss)|(?:this|that|the|my|one more|another|they|"
    r"he|she|it|you|we|anyone|someone|somebody) )|\bone more (?:time|minute|hour|meeting|email|call|word|song|"
    r"question|ad|episode|[a-z]+ (?:meeting|email|call|song|ad))\b|\banother (?:[a-z]+ )?(?:meeting|email|call|zoom|"
    r"class|lecture|shift|minute|hour|song|ad|episode|group project|exam|test|spreadsheet|report|deadline)\b|\bso "
    r"(?:hard|bad|boring|long|annoying|stupid|dumb|embarrassing|awkward|cringe\w*|slow|loud|hungry|hot|full) (?:that "
    r")?(?:i|it)\b")
_JOKE_OBJECT = re.compile(
    r"\b(?:meetings?|calls?|zoom|class(?:es)?|lectures?|exams?|tests?|quiz(?:zes)?|homework|essays?|assignments?|"
    r"projects?|thesis|emails?|songs?|ads?|adverts?|traffic|queues?|phone|wifi|internet|laptop|computer|printer|"
    r"group ?chat|shifts?|boss|mondays?|salads?|diet|gym|spreadsheets?|reports?|deadlines?|commute|bus|train|episode|"
    r"show|movie|game|math|maths|chemistry|physics|coworkers?|customers?|small talk|weddings?|party|parties|dinner|"
    r"in-?laws|person|people|question|headphones?|cable|charger|tiktok|playlist)\b")
_JOKE_UNLESS = re.compile(r"\b(?:not (?:joking|kidding)|i mean it|for real|seriously|any ?more|any longer|live|"
                          r"living|life|alive|like this|go on|keep going|carry on|wake up|tonight|pills|plan|goodbye|"
                          r"leave|leaves|left me|break(?:s)? up|broke up|dump(?:s|ed)?)\b")


def _joke(zone: str) -> bool:
    return bool(_JOKE_MARK.search(zone) and _JOKE_FRAME.search(zone) and _JOKE_OBJECT.search(zone)
                and not _JOKE_UNLESS.search(zone))


# Guards look this far around a match, so that a long unpunctuated message does not borrow a guard (or lift
# one) from an unrelated part of itself.
_GUARD_REACH = 150


def _around(sentence: str, m: re.Match[str]) -> str:
    return sentence[max(0, m.start() - _GUARD_REACH):m.end() + _GUARD_REACH]


def _guarded(rule: Rule, sentence: str, m: re.Match[str]) -> bool:
    """Whether an idiom/accident/game guard vetoes this match."""
    nearby = _around(sentence, m)
    vetoed = bool(
        (rule.after and rule.after.match(sentence[m.end():]))
        or (rule.before and rule.before.search(sentence[:m.start()]))
        or (rule.context and rule.context.search(nearby))
    )
    return vetoed and not (rule.unless and rule.unless.search(nearby))


# ---------------------------------------------------------------------------------------------------------
# Weak warning signs that count only together
# ---------------------------------------------------------------------------------------------------------

_WEAK_SIGNS = {
    "means": re.compile(rf"\b(?:{_PILLS}|rope|noose|gun|pistol|rifle|blade|razor|bridge|rooftop|ledge|cliff|"
                        rf"train tracks|railway|overdose|bleach|antifreeze)\b"),
    "finality": re.compile(r"\b(?:goodbye|good bye|farewell|for good|permanently|last (?:message|words|"
                           r"goodbye|night alive|day alive)|made my peace|sorry for everything|forgive me|"
                           r"take care of (?:my|the) (?:kids|dog|cat|family|pets)|tell (?:my|them|him|her) [a-z ]"
                           r"{0,20}i (?:love|loved) (?:them|him|her|you)|locked (?:myself|himself|herself|"
                           r"themselves) in|will not see me again|never see me again|this is it|it is time|"
                           r"(?:i am|i feel|i am finally|finally) ready(?=\s*$|\s*[,.!?]| now\b)|ready to (?:go|die|"
                           r"leave|end|do it|say goodbye|let go)|my affairs (?:are )?(?:all |now )?in order|"
                           r"(?:strangely|weirdly|oddly|eerily|suddenly) (?:calm|peaceful|at peace)|at peace with "
                           r"(?:it|going|dying|death|leaving|my decision|the decision|everything|it all)|not "
                           r"(?:scared|afraid|frightened) of (?:dying|death)|(?:check|clock|tap)(?:ing)? out "
                           r"(?:tonight|now|soon)|everything is (?:all )?(?:arranged|set|planned|sorted|in place|"
                           r"organi[sz]ed)|(?:just|only) (?:have|need) to (?:follow through|go through with it)|"
                           r"instructions for (?:who|when|after)|who (?:gets|will get|should get|will have|will "
                           r"take) my|(?:wrote|written|writing|write|updated|updating|made|"
                           r"making) (?:a|my) will|in order for when|saying goodbye|said goodbye|thank you for everything|"
                           r"thanks for everything|made (?:my|the) decision|made up my mind|decision is made|time (?:for me )?to "
                           r"go|i have decided|(?:going to|gonna|finally|will|ready to) do it (?:tonight|"
                           r"today|now|soon)|tonight is the night)\b"),
    "despair": re.compile(r"\b(?:can not (?:take|do|handle|cope with|bear|stand) (?:it|this|any of this|"
                          r"anything|life)(?: any ?more| any longer)?|can not cope any ?more|no way out|"
                          r"no hope|hopeless|no one cares|nobody cares|burden|worthless|pointless|"
                          r"give up|giving up|gave up|done with everything|nothing left|empty inside|"
                          r"no future|tired of everything|want out|trapped|unbearable|too much pain|"
                          r"pain is too much|can not go on|hate my life|hate myself|nothing matters|"
                          r"no point|no reason|numb|alone in this|all alone|exhausted of|over it all|"
                          r"desperate|broken beyond|beyond help|can not be fixed|i am (?:so |just |completely |"
                          r"totally |really )?done(?=\s*$|\s*[,.!?]))"),
}
_WEAK_GUARD = re.compile(r"\b(?:farewell (?:party|drinks|dinner|lunch|card|tour)|goodbye (?:party|drinks|"
                         r"dinner|lunch|card)|(?:moving|move|moved) (?:out|away|house|abroad|to)|"
                         r"traffic|road works|roadworks|sunset|view|hiking|climbing|photos?|recipe|"
                         r"in (?:the|a) (?:game|movie|film|show|book)|ready (?:for|to (?:start|go (?:home|out|"
                         r"to)|leave for))|airport|flight|trip|vacation|holiday|graduat\w*|last day (?:at|of)|see "
                         r"you|good ?night|talk (?:to you )?(?:tomorrow|later|soon)|hotel|hostel|airbnb|wedding|"
                         r"party|event|interview|concert|presentation|marathon|race|performance|launch|exams?)\b")


def _weak_signs(text: str) -> list[tuple[str, str]]:
    """The weak warning signs (kind, cue) in the whole message, each cue once; negated cues do not count."""
    if _WEAK_GUARD.search(text):
        return []
    found: dict[str, tuple[str, str]] = {}
    for kind, pattern in _WEAK_SIGNS.items():
        for m in pattern.finditer(text):
            sentence_start = max(text.rfind(ch, 0, m.start()) for ch in ".!?\n") + 1
            local = text[sentence_start:m.end() + 40]
            if not _negated(local, m.start() - sentence_start, m.end() - sentence_start):
                found.setdefault(m.group(), (kind, m.group()))
    return list(found.values())


def _weak_signs_fire(signs: list[tuple[str, str]]) -> bool:
    """Two kinds together (means + despair, ...), or two separate signs of finality (a will and a goodbye)."""
    kinds = [kind for kind, _ in signs]
    return len(set(kinds)) >= 2 or kinds.count("finality") >= 2


# ---------------------------------------------------------------------------------------------------------
# Screening
# ---------------------------------------------------------------------------------------------------------


def _rule_hits(text: str) -> tuple[list[tuple[Rule, str]], list[str]]:
    """Rules that fire on the normalised text, and why the vetoed ones were vetoed (rule ids only)."""
    hits: list[tuple[Rule, str]] = []
    vetoes: list[str] = []
    sentences = _sentences(text)
    for n, sentence in enumerate(sentences):
        joke: bool | None = None  # computed on the first suicide or self-harm match in the sentence
        for rule in RULES:
            for m in rule.pattern.finditer(sentence):
                if rule.requires and not rule.requires.search(_around(sentence, m)):
                    continue
                if _guarded(rule, sentence, m):
                    vetoes.append(f"idiom, accident or figure of speech ({rule.id})")
                    continue
                if rule.category in ("suicide", "self_harm"):
                    if joke is None:
                        # The marker may stand alone right after the sentence: "... I'll shoot myself. lol"
                        after = sentences[n + 1] if n + 1 < len(sentences) else ""
                        joke = _joke(sentence + (" " + after if len(after.split()) <= 2 else ""))
                    if joke:
                        vetoes.append(f"a joke ({rule.id})")
                        continue
                if rule.negatable and _negated(sentence, m.start(), m.end()):
                    vetoes.append(f"negated ({rule.id})")
                    continue
                if _past_and_recovered(sentence, m.start(), text):
                    vetoes.append(f"in the past, with recovery described ({rule.id})")
                    continue
                hits.append((rule, sentence))
                break
    return hits, vetoes


def matched_rules(text: str) -> list[str]:
    """Ids of the rules that fire on `text` after guards and negation (for tests and debugging)."""
    hits, _ = _rule_hits(normalise(text))
    ids = [rule.id for rule, _ in hits]
    if _weak_signs_fire(_weak_signs(normalise(text))):
        ids.append("suicide.weak_signs")
    return ids


def screen(text: str) -> Screening:
    """Screen one user message for crisis: suicide, self-harm, harm to others, or being in danger."""
    if not isinstance(text, str):
        raise TypeError(f"screen() takes a str, not {type(text).__name__}")
    norm = normalise(text)
    if not norm:
        return Screening(False, None, "empty message")
    hits, vetoes = _rule_hits(norm)
    if hits:
        rule = min((rule for rule, _ in hits), key=lambda r: _PRIORITY[r.category])
        return Screening(True, rule.category, f"{rule.why} (rule {rule.id})")
    signs = _weak_signs(norm)
    if _weak_signs_fire(signs):
        kinds = " + ".join(sorted({kind for kind, _ in signs}))
        return Screening(True, "suicide", f"warning signs together: {kinds} (rule suicide.weak_signs)")
    if vetoes:
        return Screening(False, None, f"crisis wording judged not a crisis: {vetoes[0]}")
    return Screening(False, None, "no crisis wording found")


# ---------------------------------------------------------------------------------------------------------
# Resources and the reply
# ---------------------------------------------------------------------------------------------------------


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _require_text(value: Any, where: str, file: str, allowed: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EaiError(f"{file}: {where}: {allowed}")
    return value.strip()


def _validate_resources(data: Any, file: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise EaiError(f"{file}: the file must be a mapping with keys `default` and `locales`")
    unknown = set(data) - {"default", "locales"}
    if unknown:
        raise EaiError(f"{file}: unknown top-level key(s) {sorted(unknown)}; allowed: default, locales")
    locales = data.get("locales")
    if not isinstance(locales, dict) or not locales:
        raise EaiError(f"{file}: locales: must be a non-empty mapping of locale code -> entry")
    default = _require_text(data.get("default"), "default", file, "must name one of the locales")
    table: dict[str, dict[str, Any]] = {}
    aliases: dict[str, str] = {}
    for code, entry in locales.items():
        key = f"locales.{code}"
        if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z][A-Za-z_-]*", code):
            raise EaiError(f"{file}: {key}: a locale code is letters (e.g. US, GB, international)")
        if not isinstance(entry, dict):
            raise EaiError(f"{file}: {key}: must be a mapping with `resources` (and optional label, aliases)")
        extra = set(entry) - {"label", "aliases", "resources"}
        if extra:
            raise EaiError(f"{file}: {key}: unknown key(s) {sorted(extra)}; allowed: label, aliases, resources")
        items = entry.get("resources")
        if not isinstance(items, list) or not items:
            raise EaiError(f"{file}: {key}.resources: must be a non-empty list of resources")
        resources = []
        for i, item in enumerate(items):
            where = f"{key}.resources[{i}]"
            if not isinstance(item, dict):
                raise EaiError(f"{file}: {where}: must be a mapping with name, contact and optional url")
            extra = set(item) - {"name", "contact", "url"}
            if extra:
                raise EaiError(f"{file}: {where}: unknown key(s) {sorted(extra)}; allowed: name, contact, url")
            resource = {
                "name": _require_text(item.get("name"), f"{where}.name", file, "missing or empty; a resource "
                                      "needs a name"),
                "contact": _require_text(item.get("contact"), f"{where}.contact", file, "missing or empty; say "
                                         "how to reach the service"),
                "url": None,
            }
            if item.get("url") is not None:
                url = _require_text(item.get("url"), f"{where}.url", file, "must be an https:// address")
                if not url.startswith("https://"):
                    raise EaiError(f"{file}: {where}.url: must be an https:// address, got {url!r}")
                resource["url"] = url
            resources.append(resource)
        label = entry.get("label", code)
        _require_text(label, f"{key}.label", file, "must be a non-empty string")
        found = entry.get("aliases", []) or []
        if not isinstance(found, list) or not all(isinstance(a, str) and a.strip() for a in found):
            raise EaiError(f"{file}: {key}.aliases: must be a list of locale codes")
        norm_code = code.upper()
        if norm_code in table or norm_code in aliases:
            raise EaiError(f"{file}: {key}: locale listed twice")
        table[norm_code] = {"code": code, "label": label, "resources": resources}
        for alias in found:
            if alias.upper() in aliases or alias.upper() in table:
                raise EaiError(f"{file}: {key}.aliases: {alias!r} is already used")
            aliases[alias.upper()] = norm_code
    if default.upper() not in table:
        raise EaiError(f"{file}: default: {default!r} is not one of the locales {sorted(e['code'] for e in table.values())}")
    return {"default": default.upper(), "locales": table, "aliases": aliases}


@functools.lru_cache(maxsize=8)
def _load_resources_cached(path: str, mtime: float) -> dict[str, Any]:
    import yaml

    file = _display(Path(path))
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise EaiError(f"{file}: not valid YAML: {exc}") from None
    return _validate_resources(data, file)


def load_resources(path: str | Path | None = None) -> dict[str, Any]:
    """The validated resources table (cached until the file changes)."""
    path = Path(path) if path is not None else RESOURCES_FILE
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise EaiError(f"{_display(path)}: crisis resources file not found") from None
    return _load_resources_cached(str(path.resolve()), mtime)


def resolve_locale(locale: str | None, path: str | Path | None = None) -> str:
    """The resources entry a configured locale resolves to: 'en-GB', 'en_GB', 'GB', 'UK' -> 'GB'."""
    table = load_resources(path)
    if not locale or not locale.strip():
        return table["default"]
    parts = [p for p in re.split(r"[-_.@\s]+", locale.strip().upper()) if p]
    candidates = [locale.strip().upper(), *reversed(parts)]
    for candidate in candidates:
        if candidate in table["locales"]:
            return candidate
        if candidate in table["aliases"]:
            return table["aliases"][candidate]
    return table["default"]


def resources(locale: str | None = None, path: str | Path | None = None) -> list[dict]:
    """Crisis resources for a locale (name, contact, url); an unknown locale gets the international default."""
    table = load_resources(path)
    entry = table["locales"][resolve_locale(locale, path)]
    return [dict(r) for r in entry["resources"]]


def format_resources(locale: str | None = None, path: str | Path | None = None, *, markdown: bool = True) -> str:
    """The resources as a list a chat page or a terminal can show."""
    lines = []
    for r in resources(locale, path):
        url = f" ({r['url']})" if r["url"] else ""
        name = f"**{r['name']}**" if markdown else r["name"]
        lines.append(f"- {name}: {r['contact']}{url}")
    return "\n".join(lines)


_OPENINGS = {
    None: ("Thank you for telling me. I'm really glad you reached out, and I'm taking what you said seriously. "
           "What you're carrying sounds incredibly heavy, and you deserve support from a real person right now "
           "- you don't have to face this alone."),
    "suicide": ("Thank you for telling me. I'm really glad you reached out, and I'm taking what you said "
                "seriously. It sounds like you're in a lot of pain right now, and you deserve support from a "
                "real person who can be with you through this - you don't have to face it alone."),
    "self_harm": ("Thank you for trusting me with this. I'm really glad you told me, and there's no judgement "
                  "here. You deserve care and support from a real person right now - you don't have to cope "
                  "with this on your own."),
    "harm_others": ("Thank you for being honest with me - it takes courage to say this. It sounds like you're "
                    "carrying a lot of anger or fear right now. Please reach out to someone now who can help you "
                    "stay safe and keep others safe; you don't have to handle this alone."),
    "danger": ("Thank you for telling me. What you're describing sounds frightening, and your safety matters. "
               "You deserve protection and support from a real person right now - you don't have to face this "
               "alone."),
}


def crisis_reply(locale: str | None = None, category: str | None = None) -> str:
    """The fixed, warm, human-first reply to a crisis message, with the locale's crisis resources."""
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"category must be one of {CATEGORIES} or None, got {category!r}")
    return (
        f"{_OPENINGS[category]}\n\n"
        "If you are in immediate danger, please call your local emergency number now.\n\n"
        "You can talk to someone right now, for free and in confidence:\n"
        f"{format_resources(locale)}\n\n"
        "If you can, reach out to someone you trust - a friend, a family member, a neighbour - and let them know "
        "how you're feeling, or go to a place where there are other people around you. I'm an AI companion, so "
        "I can't call anyone or come to you, but I'm here, and I'll keep listening if you'd like to keep talking."
    )


# ---------------------------------------------------------------------------------------------------------
# Labelled sets and evaluation
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledExample:
    text: str
    crisis: bool
    kind: str
    line: int


def load_labelled(path: str | Path) -> list[LabelledExample]:
    """A labelled set: JSONL lines {"text": str, "crisis": bool, "kind": str, ...}. A bad line is an error."""
    path = Path(path)
    file = _display(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EaiError(f"{file}: cannot read the labelled set ({exc.strerror})") from None
    examples = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EaiError(f"{file}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
            raise EaiError(f"{file}:{n}: each line needs a non-empty string `text`")
        if not isinstance(row.get("crisis"), bool):
            raise EaiError(f"{file}:{n}: `crisis` must be true or false")
        kind = row.get("kind", "unspecified")
        if not isinstance(kind, str):
            raise EaiError(f"{file}:{n}: `kind` must be a string")
        examples.append(LabelledExample(row["text"], row["crisis"], kind, n))
    if not examples:
        raise EaiError(f"{file}: the labelled set is empty")
    return examples


@dataclass
class Evaluation:
    file: str
    n: int
    n_crisis: int
    recall: float
    fpr: float
    idiom_fpr: float | None
    n_idioms: int
    by_kind: dict[str, dict[str, float | int]]
    misses: list[LabelledExample]
    false_alarms: list[LabelledExample]

    def meets_goals(self) -> bool:
        return self.recall >= RECALL_GOAL and (self.idiom_fpr is None or self.idiom_fpr <= IDIOM_FPR_GOAL)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "n": self.n, "n_crisis": self.n_crisis, "n_not_crisis": self.n - self.n_crisis,
            "recall": self.recall, "false_positive_rate": self.fpr, "idiom_false_positive_rate": self.idiom_fpr,
            "n_idioms": self.n_idioms, "by_kind": self.by_kind, "meets_goals": self.meets_goals(),
            "misses": [{"line": e.line, "kind": e.kind, "text": e.text} for e in self.misses],
            "false_alarms": [{"line": e.line, "kind": e.kind, "text": e.text} for e in self.false_alarms],
        }


def evaluate(path: str | Path) -> Evaluation:
    """Recall and false-positive rates of `screen` on a labelled set."""
    examples = load_labelled(path)
    predicted = [screen(e.text).crisis for e in examples]
    positives = [e for e in examples if e.crisis]
    negatives = [e for e in examples if not e.crisis]
    misses = [e for e, p in zip(examples, predicted) if e.crisis and not p]
    false_alarms = [e for e, p in zip(examples, predicted) if not e.crisis and p]
    idioms = [e for e in negatives if e.kind == "idiom"]
    by_kind: dict[str, dict[str, float | int]] = {}
    for kind in sorted({e.kind for e in examples}):
        group = [(e, p) for e, p in zip(examples, predicted) if e.kind == kind]
        flagged = sum(p for _, p in group)
        by_kind[kind] = {"n": len(group), "flagged": flagged, "crisis_label": sum(e.crisis for e, _ in group)}
    return Evaluation(
        file=_display(Path(path)),
        n=len(examples),
        n_crisis=len(positives),
        recall=(len(positives) - len(misses)) / len(positives) if positives else float("nan"),
        fpr=len(false_alarms) / len(negatives) if negatives else float("nan"),
        idiom_fpr=(sum(e in false_alarms for e in idioms) / len(idioms)) if idioms else None,
        n_idioms=len(idioms),
        by_kind=by_kind,
        misses=misses,
        false_alarms=false_alarms,
    )


def format_evaluation(ev: Evaluation) -> str:
    lines = [
        f"{ev.file}: {ev.n} messages ({ev.n_crisis} crisis, {ev.n - ev.n_crisis} not crisis)",
        f"  recall                      {ev.recall:.3f}  (goal >= {RECALL_GOAL:.2f})",
        f"  false-positive rate         {ev.fpr:.3f}",
        (f"  false-positive rate, idioms {ev.idiom_fpr:.3f}  (goal <= {IDIOM_FPR_GOAL:.2f}, {ev.n_idioms} idioms)"
         if ev.idiom_fpr is not None else "  false-positive rate, idioms n/a (no kind=idiom lines)"),
        "  by kind (flagged / n):",
    ]
    for kind, row in ev.by_kind.items():
        label = "crisis" if row["crisis_label"] == row["n"] else "not crisis" if not row["crisis_label"] else "mixed"
        lines.append(f"    {kind:<20} {row['flagged']:>3} / {row['n']:<3} ({label})")
    lines.append(f"  misses (crisis not flagged): {len(ev.misses)}")
    lines += [f"    line {e.line} [{e.kind}]: {e.text}" for e in ev.misses]
    lines.append(f"  false alarms (flagged, not crisis): {len(ev.false_alarms)}")
    lines += [f"    line {e.line} [{e.kind}]: {e.text}" for e in ev.false_alarms]
    lines.append(f"  goals {'met' if ev.meets_goals() else 'NOT met'}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------


def screen_lines(lines: Iterable[str]) -> Iterator[tuple[dict[str, Any], bool]]:
    """Screen JSONL lines {"text": ...}: one output record per non-blank line, (record, ok).

    A line that is not a JSON object with a string `text` yields an error record {"line": n, "error": ...}
    in its place, so that every input line is accounted for.
    """
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield {"line": n, "error": f"not valid JSON ({exc.msg})"}, False
            continue
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            yield {"line": n, "error": "expected a JSON object with a string `text`"}, False
            continue
        result = screen(row["text"])
        yield {**row, "crisis": result.crisis, "category": result.category, "reason": result.reason}, True


def _open(path: str, mode: str, stack: contextlib.ExitStack) -> IO[str]:
    try:
        return stack.enter_context(open(path, mode, encoding="utf-8"))
    except OSError as exc:
        raise EaiError(f"{path}: cannot {'read' if mode == 'r' else 'write'} ({exc.strerror})") from None


def _cmd_screen(args: argparse.Namespace) -> int:
    stdin = args.file in (None, "-")
    name = "stdin" if stdin else args.file
    screened = flagged = 0
    bad: list[int] = []
    with contextlib.ExitStack() as stack:
        source = sys.stdin if stdin else _open(args.file, "r", stack)
        out = _open(args.output, "w", stack) if args.output else sys.stdout
        for record, ok in screen_lines(source):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if ok:
                screened += 1
                flagged += record["crisis"]
            else:
                bad.append(record["line"])
    print(f"screened {screened} messages from {name}: {flagged} crisis, {screened - flagged} not crisis"
          + (f", {len(bad)} unreadable" if bad else ""), file=sys.stderr)
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (" ..." if len(bad) > 20 else "")
        raise EaiError(f"{name}: {len(bad)} line(s) are not JSON objects with a string `text` (lines {shown}); "
                       "each has an error record {\"line\", \"error\"} in the output")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    files = args.files or [LABELLED_FILE]
    results = [evaluate(f) for f in files]
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(format_evaluation(r) for r in results))
    if args.check and not all(r.meets_goals() for r in results):
        failing = ", ".join(r.file for r in results if not r.meets_goals())
        raise EaiError(f"crisis screening misses its goals (recall >= {RECALL_GOAL}, idiom false positives <= "
                       f"{IDIOM_FPR_GOAL}) on: {failing}")
    return 0


def _cmd_reply(args: argparse.Namespace) -> int:
    print(crisis_reply(args.locale, args.category))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "safety",
        help="crisis screening: screen messages, evaluate on labelled sets, show the crisis reply",
        description=(
            "Crisis screening used by `eai serve` on every user message: suicidal intent, self-harm, intent "
            "to harm others, or being in danger. Rules with negation and idiom handling, English only "
            "(with a few keywords in other languages); no model, no network."
        ),
    )
    sub = parser.add_subparsers(dest="safety_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser(
        "screen",
        help="screen JSONL messages {\"text\": ...} from FILE or stdin",
        description=(
            "Read JSONL lines {\"text\": ...} from FILE (or stdin) and write one JSONL line per message: the "
            "input object plus \"crisis\" (true/false), \"category\" (suicide, self_harm, harm_others, danger "
            "or null) and \"reason\". A line that is not a JSON object with a string \"text\" gets an error "
            "record {\"line\": N, \"error\": ...} in its place, the other lines are still screened, and the "
            "command then exits with status 2 naming the bad lines. Blank lines are skipped. A summary goes "
            "to stderr."
        ),
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="JSONL input (default: stdin; '-' also means stdin)")
    p.add_argument("-o", "--output", metavar="OUT", help="write the JSONL results here instead of stdout")
    p.set_defaults(func=_cmd_screen)

    p = sub.add_parser(
        "evaluate",
        help="recall and false-positive rates on labelled sets",
        description=(
            "Screen every line of labelled JSONL sets ({\"text\", \"crisis\": bool, \"kind\"}) and print recall, "
            "the false-positive rate overall and on idioms (kind \"idiom\"), counts by kind, and every miss and "
            "false alarm. Default: the shipped development set dataset_info/crisis/labelled.jsonl; the "
            "held-out set is dataset_info/crisis/heldout.jsonl."
        ),
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="labelled JSONL sets (default: the shipped labelled set)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--check", action="store_true",
                   help=f"exit 2 unless recall >= {RECALL_GOAL} and idiom false positives <= {IDIOM_FPR_GOAL}")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser(
        "reply",
        help="print the crisis reply for a locale",
        description="Print the fixed crisis reply with the resources configured in dataset_info/crisis/resources.yaml.",
    )
    p.add_argument("--locale", help="locale such as en-US, en-GB, GB, AU (default: the file's default)")
    p.add_argument("--category", choices=CATEGORIES, help="tailor the first paragraph to a crisis category")
    p.set_defaults(func=_cmd_reply)
