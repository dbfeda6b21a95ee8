"""Small concept lexicons the rules combine (all over normalised text: lower case, contractions expanded).

Each name is one concept, written as a regular-expression alternation without groups that capture. A concept
says *what kind* of thing a phrase is (a means, a timing, a preparation, who is at risk); `rules.py` says
which combinations of concepts make a crisis or a concern. New wording is covered by adding a word to a
concept, where it then combines with every other concept, rather than by writing a new phrase rule.

Every alternation is bounded (no nested unbounded repeats), so that matching stays linear in the text.
"""

from __future__ import annotations


def alt(*words: str) -> str:
    return "(?:" + "|".join(words) + ")"


# ------------------------------------------------------------------------------------------------ who

ME = alt("myself", "me", "my own life", "my life")
# Adverbs and hedges that may stand anywhere inside a phrase ("I just really want to ...").
ADV = (r"(?:(?:really|just|actually|honestly|seriously|sometimes|often|always|still|so|truly|literally|almost|"
       r"genuinely|even|finally|badly|desperately|quietly|secretly|definitely|probably|totally|kind of|sort of|"
       r"kinda|all|simply|fucking|fuckin|freaking|completely|already|then|gonna|going to|maybe|like|very|"
       r"sexually|physically|constantly|regularly|repeatedly|now|again)\s+){0,3}")
KIN = alt("mom", "mum", "mother", "mommy", "mama", "dad", "father", "daddy", "parents?", "brother", "sister",
          "siblings?", "son", "daughter", "kids?", "children", "child", "baby", "babies", "husband", "wife",
          "partner", "boyfriend", "girlfriend", "bf", "gf", "ex", "fianc[eé]e?", "step ?dad", "step ?mom",
          "step ?mum", "step ?father", "step ?mother", "uncle", "aunt", "auntie", "cousin", "grand(?:ma|pa|mother|"
          r"father|dad|mum|mom)", "nan", "family", "friends?", "mate", "best friend", "bestie", "flatmate",
          "roommate", "room mate", "housemate", "neighbou?r", "boss", "manager", "teacher", "coach", "landlord",
          "classmates?", "coworkers?", "co-workers?", "colleagues?", "students?", "teammates?", "pastor", "carer",
          "doctor", "guardian", "foster (?:dad|mom|mum|parents?)")
# Another person as the one at risk or as a target.
OTHER = alt(r"(?:my|our|his|her|their|the|a|this|that) (?:\w+ )?" + KIN, r"(?:his|her|their|the|my \w+'s) "
            r"(?:house|home|car|school|office|place)", r"(?:his|her|their) (?:head|face|skull|neck|throat)",
            r"(?:the |those |these |all )?(?:people|everyone|kids|"
            r"students|men|women|girls|boys)", "him", "her", "them", "someone",
            "somebody", "anyone", "anybody", "everyone", "everybody", "people", "others", "other people", "he",
            "she", "they", r"(?:a|the|this|that|some) (?:man|guy|woman|girl|boy|kid|person|stranger|student|"
            r"teacher)")
# A person who may be dangerous to the writer.
PERP = alt("he", "she", "they", r"(?:my|our|the|her|his) (?:\w+ )?" + KIN, "someone", "somebody",
           r"(?:a|the|this|that|some) (?:man|guy|woman|stranger|person|gang|group)", "people", "this (?:man|guy)")
VICTIM = alt("me", "us", r"(?:our|my) (?:house|home|flat|car)", r"(?:the|our) (?:kids|children|baby|family)",
             r"my (?:kids?|children|baby|son|daughter|family|mum|mom|dad|sister|brother|dog|cat)",
             "my body")
THIRD_SELF = alt("himself", "herself", "themselves", "themself", r"(?:his|her|their) (?:own )?life")

# ----------------------------------------------------------------------------------------- the acts

# Ending one's own life, said outright or by a common euphemism.
DIE = alt("die", "dying", r"(?:log|clock|check|sign|tap|bow)\w* (?:out|off) (?:of |from )?(?:life|this world|"
          r"this life|existence)", r"(?:fall|falling) asleep forever", r"jump(?:ing)?(?= *$|,| tonight| now)",
          r"step\w* (?:off|out in front of|in front of|onto) (?:the|a) (?:platform|ledge|edge|"
          r"bridge|roof|tracks|train|bus)", "be dead",
          r"end(?:ing)? (?:it|it all|everything|things|my life|my own life)(?! with)",
          r"kill(?:ing)? myself", r"tak(?:e|ing) my (?:own )?life", "not (?:be )?(?:alive|here|around|exist)",
          r"stop(?:ping)? (?:living|existing|being alive|breathing)", r"not (?:be|being) here", "not exist",
          r"(?:go|going) away (?:permanently|forever|for good)", r"disappear(?:ing)? and never come back",
          r"out of (?:this|my) life", r"(?:fall|falling) asleep and (?:not|never) wake up", r"not survive",
          "disappear (?:forever|for good|permanently)", "sleep forever", "go to sleep (?:and|&) (?:never|not) wake up",
          "never wake up", "not wake up", "off myself", "end my suffering", "commit suicide", "unalive",
          "leave this world", "leave this earth", "check out", "be gone", r"join (?:him|her|them|my \w+)",
          "put an end to (?:it|it all|everything|my life)", "be with (?:him|her|them) again", "end my existence",
          "go to sleep forever", "not be a burden", "be with (?:my \\w+|him|her|them) again")
# How: a method said with oneself as the object.
METHOD_SELF = alt(r"hang(?:ing)? myself", r"shoot(?:ing)? myself", r"drown(?:ing)? myself", r"poison(?:ing)? myself",
                  r"gas(?:sing)? myself", r"slit(?:ting)? my (?:wrists?|throat)", r"(?:jump|jumping|leap|leaping) "
                  r"(?:off|from|in front of|onto|under)", r"throw(?:ing)? myself (?:off|from|in front of|under)",
                  r"step(?:ping)? (?:out )?in front of (?:a|the) (?:train|bus|truck|lorry|car)",
                  r"(?:overdose|od|overdosing)", r"swallow(?:ing)? (?:all|every|the whole|a whole|the rest)",
                  r"take (?:all|every one|the whole|a whole|the rest) (?:of )?(?:my |the |them|those )",
                  r"driv\w* (?:my car |the car )?(?:into|off|in front of)", r"crash(?:ing)? (?:my|the) car",
                  r"walk(?:ing)? into the (?:sea|ocean|river|lake|traffic)", r"bleed(?:ing)? out",
                  r"(?:lie|lay) down on the (?:tracks|road)", r"freeze to death", r"starve myself to death")
SELF_HARM = alt(r"(?:cut|burn|burnt|hurt|harm|hit|punch|scratch|bruis|bit|carv|starv|stab|chok|strangl|slic|bang|"
                r"whip|beat)\w* (?:up )?myself", r"(?:cutting|self[- ]?harm\w*|hurting myself|burning myself) "
                r"(?:is|helps|makes me|calms)",
                r"self[- ]?harm\w*", r"self[- ]?injur\w*", r"(?:cut|cutting|carve|carving|burn|burning|slice|"
                r"scratch|scratching) (?:my|into my) (?:arms?|wrists?|legs?|thighs?|skin|stomach|hips?|body)",
                r"make myself (?:bleed|bruise|throw up|sick)", r"\bcut again\b",
                r"(?:i|i have) cut (?:last night|yesterday|again|tonight|today|deep)",
                r"(?:until|till) (?:i|my \w+|it|they) "
                r"(?:bleed|bled|bruise|bleeds|bruised|split|splits|break|crack)",
                r"stop (?:cutting|hurting myself|self[- ]?harming|burning "
                r"myself)", r"(?:blade|razor|knife)s? (?:for|to) (?:cut|cutting|hurt)",
                r"can not stop (?:cutting|hurting "
                r"myself|burning myself|self[- ]?harming)", r"(?:started|start|go back to|went back to|back to) "
                r"cutting", r"cutting (?:again|myself)", r"relapsed?", r"my (?:cuts|scars|wounds) (?:are|is) "
                r"(?:fresh|new|deep|bleeding)", r"fresh (?:cuts|wounds|scars|burns)",
                r"(?:not|stopped|stop) eating (?:on purpose|to punish|because i do not deserve)",
                r"deserve (?:to be hurt|pain|to suffer|to bleed)",
                r"(?:want|wanting|urges?|need|needing|tempted|itch|craving) to (?:cut|burn|hurt|harm|bleed)\b(?! "
                r"(?:back|down|the|my hair|out|off|corners|class|ties|it|them|him|her|his|their|your|someone|people))",
                r"\bi (?:\w+ ){0,3}?(?:cut|cutting|burn\w*|hit\w*|punch\w*|bang\w*|bit|bite|biting|scratch\w*|carv\w*|"
                r"slic\w*|stab\w*|"
                r"claw\w*|pinch\w*|pull\w*) (?:\w+ ){0,4}?(?:on |into |against |across )?(?:my|into my) (?:own )?"
                r"(?:arms?|wrists?|legs?|thighs?|skin|stomach|hips?|body|head|face|hands?|fingers|chest|ankles?|hair)",
                r"punish\w* myself",
                r"(?:stop|stopped|stopping|not) (?:eating|drinking)[\w ]{0,30}(?:on purpose|till|until|"
                r"gives? up|to die|day \d+)",
                r"(?:hide|hiding|cover|covering) (?:up )?(?:the |my )?(?:marks|cuts|scars|burns|"
                r"bruises|arms|wrists)",
                r"(?:nobody|no one) (?:sees|can see|notices|will see) my (?:arms|wrists|legs|thighs|"
                r"cuts|scars)",
                r"(?:close|clean|treat|stitch|glue) (?:up )?(?:a|my|the) (?:deep )?(?:cut|wound|gash)s?",
                r"the new ones", r"making myself (?:bleed|bruise|throw up|sick)",
                r"(?:blade|razor|lighter|knife|hammer|compass|scissors) (?:on|into|against|across|to) my")
HARM_VERB = alt("kill", "cave", "hurt", "harm", "stab", "shoot", "strangle", "choke", "smother", "suffocate", "beat",
                "attack", "murder", "poison", "drown", "shake", "throw", "run over", "burn", "punch", "hit",
                "slap", "break", "snap", "torture", "rape", "batter", "destroy", "end", "get back at",
                "make (?:him|her|them) pay", r"run (?:him|her|them|\w+) over", r"set (?:\w+ ){0,3}on fire", "cut",
                "kick", "bash", "smash", "push", "pushing", "punish")
HARM_VERB_ED = alt("killed", "hurt", "harmed", "stabbed", "shot", "strangled", "choked", "smothered", "beat",
                   "beaten", "attacked", "raped", "hit", "punched", "kicked", "slapped", "assaulted", "abused",
                   "molested", "drugged", "spiked", "threatened", "burned", "burnt", "pushed", "shoved",
                   "strangling", "choking", "hitting", "beating", "punching", "kicking", "slapping", "hurting",
                   "abusing", "touching", "raping", "stalking", "following", "threatening", "hits", "beats",
                   "chokes", "kicks", "punches", "slaps", "hurts", "abuses", "touches", "rapes", "stalks",
                   "threatens", "strangles", "grabbed", "grabs", "grabbing", "pinned", "pins", "locked", "locks")

# ------------------------------------------------------------------------------------- how near it is

INTENT = alt("i am", "time to", r"so (?:that )?i (?:can|could|will)", "until i", r"want(?:s|ed)? to", "wanting to",
             "would like to", "wish (?:i could|to|i was able to)",
             r"(?:am |was )?going to", "will", "would", "shall", r"(?:am )?about to", r"plan(?:ning|ned|s)? (?:on|to)",
             "intend(?:ing)? to", "decided to", r"(?:am |feel )?ready to", r"need(?:s|ed)? to", r"have to",
             r"got to", r"tempted to", r"(?:thinking|thought|think|dream|dreaming|fantasi[sz]ing|obsessing|"
             r"fixating) (?:a lot )?(?:about|of)", "considering", r"(?:the )?urges? to", "can not stop thinking about",
             r"keep (?:on )?thinking (?:about|of)", "might", "could", "try to", "tried to", "trying to",
             "attempt to", "should", "deserve to", "feel like", "close to", "part of me wants to", r"going to try to",
             "mean to", "meant to", "so ready to", "rather", "would rather", "prefer to", "want nothing more than to",
             "long to", "longing to", "wish i could just", "pray to", "hope to", "let myself", "how to",
             "the only way out is to", "easier to", "better to", "best to", r"(?:im|i am) done\W+(?:going to)?")
WISH_DEAD = alt(r"wish (?:i (?:was|were|had) (?:never been born|never born|dead|not born|not alive|gone)|"
                r"i could (?:just )?"
                r"(?:die|disappear forever|not wake up|stop existing|fall asleep forever))",
                r"(?:would|had) rather be dead", "better off dead", r"hope i (?:do not|never) wake up",
                r"(?:hope|wish|pray) (?:that )?i (?:die|get killed|do not wake|never wake|crash|get hit)",
                r"(?:wish|hope|pray) (?:that )?(?:a|the|some) (?:car|bus|truck|train|lorry|drunk driver) "
                r"(?:would |will )?(?:hit|hits|runs? over|kill) me", r"(?:hope|wish) (?:i|that i) get into an "
                r"accident", r"(?:better|easier|happier|relieved|fine|a favou?r|lighter)\b[\w ,']{0,40}\bif i "
                r"(?:just )?(?:died|was dead|were dead|was gone|were gone|did not exist|was not here|was not around|"
                r"was not in it|disappeared|were not here|killed myself)", r"if i (?:just )?(?:died|was gone|"
                r"did not exist|was not here|was not in it|disappeared)[\w ,']{0,30}\b(?:better|easier|happier|"
                r"relieved|fine|lighter)", r"(?:what is|see|is there|there is no) (?:even )?(?:the |a )?point (?:of|in|"
                r"to) (?:living|being alive|going on|waking up|life|continuing|carrying on|existing|being here)",
                r"(?:except|other than|but|is) (?:dying|death|to die|suicide)\b", r"life is not worth (?:it|living)",
                r"(?:if|whether) i live or die", r"never want to (?:wake up|live|be alive|exist)",
                r"hop(?:e|ing) (?:that )?i (?:just )?(?:do not|never|will not) wake up", r"(?:want|wish|hope) my heart "
                r"(?:would |to |will )?(?:just )?stop", r"us(?:e|ing) (?:it|them|that|the \w+) on myself",
                r"(?:will not|won't) be (?:anyone's|anybody's|your|a) (?:problem|burden)",
                r"(?:scared|afraid|terrified) (?:of what i (?:might|will|would|could) do|i (?:will|might|would|could) "
                r"do something)(?: to myself)?", r"no (?:reason|point) to (?:keep )?(?:breathing|living|going on|"
                r"be here|stay)", r"not want(?:ing)? to (?:be here|live|be alive|exist|wake up)",
                r"(?:not|no) (?:plan|planning|expect|expecting|going) (?:on|to) (?:be|being) (?:here|around|alive)",
                r"can not (?:survive|last|make it through|face) another (?:day|night|week)",
                r"(?:do not know|not sure) (?:if|whether) i (?:can|will) (?:keep myself|stay|be|keep) safe",
                r"(?:want|need) (?:it|everything|this) all to (?:end|be over|stop)",
                r"(?:mind|voices?|head|brain|something|a voice) (?:keeps? |is |are )?(?:telling|tells|told|saying|"
                r"says|say|tell) me to (?:end it|die|kill myself|jump|do it|hang|take the pills)",
                r"(?:suicide|death|dying) (?:seems|is|feels) (?:like )?(?:the|my) (?:only|best) (?:option|way|answer|"
                r"choice)", r"(?:everyone|everybody|people) would be relieved",
                r"(?:will not|not going to|won't|will no longer) be (?:a problem|a burden|bothering|around|here|in "
                r"(?:your|anyone's|the) way|troubling|bugging)[\w ]{0,25}?(?:much )?(?:longer|any ?more|for long|"
                r"for christmas|next|by|soon)", r"(?:do not think|doubt|not sure) i (?:will|can|could|am going to) "
                r"(?:be here|be around|make it|survive|last|get through) (?:for|to|until|by|past|another|much|the)",
                r"\bwant out(?: of (?:this|my) life| of here)?(?= *$|,| and)", r"(?:fine|better|happier|okay|"
                r"easier) without me", r"(?:wish|want|need) (?:it|this|everything) (?:would )?(?:all )?(?:just )?"
                r"(?:stop|end) (?:permanently|forever|for good)", r"(?:nothing|no one|nobody) (?:makes|gives) me "
                r"(?:want|a reason) to (?:keep living|live|go on|keep going|stay)", r"my body (?:would|will) be found",
                r"(?:do not|can not) see (?:why|how) i (?:should|can|could) (?:keep going|go on|carry on|keep living)",
                r"(?:nobody|no one) (?:would|will) (?:even )?(?:notice|care|miss me)(?= *$| if)",
                r"can not promise (?:myself |you |anyone )?(?:that )?i (?:will|can|would) (?:be|stay|keep myself) safe",
                r"(?:not|never) (?:be |feel |going to be |feeling )?safe (?:from myself|if i am (?:alone|on my own)|"
                r"with myself|alone|around myself)", r"(?:can not|do not think i can|can) (?:be )?trust(?:ed)? "
                r"(?:myself|alone)(?= *$| tonight| right now| now|,| any ?more| around)", r"do not trust myself",
                r"can not (?:guarantee|promise)[\w ]{0,20}(?:make it|"
                r"safe|through the night|be here|alive)", r"(?:do not|can not) see myself (?:getting past|making it|"
                r"being here|being alive|alive|surviving)", r"(?:nobody|no one|you|they) (?:will|would) (?:have to|"
                r"need to) (?:worry|deal) (?:about|with) me", r"if i (?:do not|never) wake up[\w ,]{0,30}(?:fine|"
                r"okay|good|relief|better|ok)", r"no reason (?:for me )?to (?:keep )?(?:going|living|go on)",
                r"better off with[\w ]{0,40}than with me", r"how easy (?:it would be|one step|a step|one jump|it "
                r"would be to)", r"(?:voices?|voice)[\w ]{0,30}(?:says?|tells?|telling|wants?|told) (?:me )?(?:to |i "
                r"(?:have|need|must) to )?(?:jump|die|kill myself|end it|hurt myself|do it)",
                r"(?:everyone|everybody|they|people|my family|the world) (?:would|will) be (?:better|happier) "
                r"(?:off )?(?:without me|if i (?:was|were) (?:gone|dead|not here|not around))",
                r"no (?:reason|point) (?:to|in) (?:live|living|being alive|going on|waking up|wake up|be alive|"
                r"carry on|carrying on|staying|existing)", r"nothing (?:left )?to live for",
                r"(?:do not|not) (?:want|wanna|deserve) to (?:live|be alive|exist|be here|wake up|be on this "
                r"(?:planet|earth)|go on|see tomorrow|be around)", r"(?:nobody|no one) (?:would|will) (?:miss|notice)"
                r" (?:me|if i (?:was|were|disappeared|died|vanished|was gone|were gone|was not))",
                r"(?:tired|sick|exhausted)(?: i am)? of (?:being alive|living|life|existing|waking up)",
                r"(?:want|wish|need) my body to (?:give up|stop|shut down)",
                r"done with (?:life|living|being alive|existing)", r"had enough of (?:life|living)",
                r"can not (?:go on|live|keep living|keep going|do this|carry on)(?: like this| any ?more| any "
                r"longer)+", r"(?:not|no) (?:going to|gonna) be "
                r"(?:around|here) (?:much )?(?:longer|for long)", r"(?:death|dying) (?:would|will) be (?:a relief|"
                r"easier|better|peaceful)", r"only way out\b(?! of (?:this|the) (?:contract|deal|job|lease))",
                r"(?:want|need) (?:it|this|everything|the pain|it all)"
                r" (?:all )?to (?:stop|end|be over) (?:for good|forever|permanently)", "not worth saving",
                r"not sure (?:i want|if i want|why i should) (?:to )?(?:live|be alive|keep living|wake up)",
                r"why (?:i am|am i) (?:even )?(?:still )?alive", r"can not see myself (?:being )?alive",
                r"(?:if i|when i) (?:was|were|am) (?:gone|dead|not here|not around)")
DECISION = alt(r"(?:have |i |had )decided(?= *$|,| now| it| tonight| today| that (?:it|i will|tonight|this)|"
               r" to (?:do it|go "
               r"through|end))", "made (?:up )?my (?:mind|decision)", r"(?:my )?mind is made up", "decision is made",
               r"no (?:going|turning) back", "final decision", r"(?:nobody|no one|nothing) (?:will|can|is going "
               r"to) stop me", "this time for real", r"for real this time", r"it is (?:time|my time)(?= *$|,| now)",
               r"it is (?:decided|settled)",
               r"i am (?:finally |so )?ready(?= *$|,| now *$| to (?:go|die|leave|end|let go|do it|say goodbye))",
               "this is it", "(?:i am|am) (?:so )?done(?= *$| now *$)",
               "not changing my mind", "at peace with (?:my decision|the decision|dying|it all|going)",
               "enough is enough",
               "i am sure now", "not backing out", r"going through with it", r"follow(?:ing)? through",
               r"(?:set|picked|chose|chosen) (?:a|the) (?:date|day|spot|place|bridge|way|time)(?! for (?:the|my|our) "
               r"(?:wedding|party|move|trip|holiday|exam|interview|appointment|surgery))")
PLAN = alt(r"plan(?:s|ned|ning)?", r"know (?:exactly )?(?:how|when|where) (?:i would|i will|i am going to|to do"
           r" it|i would do it)", r"worked out (?:how|when|where|the)", r"figured out (?:how|when|where|the)",
           r"research(?:ed|ing)? (?:how|methods|ways|the)", r"look(?:ed|ing)? up (?:how|ways|methods|the "
           r"(?:dose|height))", r"googl(?:ed|ing) (?:how|ways|methods|painless)", "rehears\\w*", r"practi[sc]\w*",
           "(?:a|the) method", "methods?", "the spot", "the place i picked", "dry run",
           r"how (?:it|i) will go")
TIMING = alt("tonight", "tomorrow", "today", "this (?:weekend|week|evening|morning|afternoon|friday|saturday|"
             "sunday|monday|tuesday|wednesday|thursday)", r"(?:on )?(?:monday|tuesday|wednesday|thursday|friday|"
             r"saturday|sunday)", "next (?:week|month|few days)", "soon", r"is the (?:day|night|date)",
             r"\d+ (?:days|hours|weeks|sleeps) left",
             r"when (?:everyone|everybody|they|the kids|my \w+|he|she) (?:is|are|goes?|go) "
             r"(?:asleep|to sleep|to bed|out|away|to work)", "at midnight", r"in (?:a few|two|three|\d+) "
             r"(?:days|hours|weeks)", r"by (?:the end of|friday|monday|sunday|saturday|tomorrow|next)",
             "before (?:my|the|christmas|new year|her|his)", "after (?:my|the) (?:birthday|exams?|funeral|wedding|"
             "holidays)", r"right now", r"once (?:everyone|the house|they|the kids)", "countdown", r"counting down",
             r"last (?:night|"
             r"day|week|birthday|christmas) (?:alive|on earth|here)")
MEANS = alt(r"pills?", "tablets?", r"(?:sleeping|sleep) (?:pills|tablets|meds)", "painkillers?", "paracetamol",
            "tylenol", "acetaminophen", "ibuprofen", "aspirin", "insulin", "antidepressants", "meds",
            "medication", "prescription", "overdose", "rope", "noose", "belt", "cord", "ligature", r"guns?",
            "pistol", "rifle", "shotgun", "firearm", "bullets?", r"blades?", r"razors?", r"knife", "knives",
            "bridge", "rooftop", r"roof", "ledge", "cliff", r"(?:train |railway |rail )?tracks", "railway",
            "the means",
            r"(?:top|edge) of (?:the|a) (?:car park|parking garage|building|multi-storey|tower|platform|cliff|roof)",
            "car park roof",
            "bleach", "antifreeze", "poison", "exhaust", "hose", "charcoal", "carbon monoxide", "helium",
            r"(?:bath|bathtub)", "lethal", "fatal", "storeys?", "stories high", "floors? up",
            "balcony", "window ledge", "compass", "pier", r"tide times?", r"(?:gun|gun safe|cliffs?)", "the river",
            "the sea", "the lake", "weed killer", "rat poison")
ACQUIRE = alt(r"(?:bought|buying|buy|got|getting|ordered|ordering|saved|saving|save|stockpil\w*|hoard\w*|"
              r"collect\w*|stash\w*|hid|hidden|hiding|keep|kept|have|has|found|took|take|taking|counted|counting|"
              r"holding|held|stole|stolen|picked up|got hold of|ready|lined up|sitting|laid out|laying out|stor\w*)")
# A question about how much, how high or how long, for a method.
LETHAL_Q = alt(r"how (?:many|much) [\w ]{0,30}(?:would|will|does it|do you|to) (?:it )?(?:take|need)",
               r"(?:lethal|fatal|deadly|toxic) (?:dose|amount|quantity|height|overdose)",
               r"how (?:high|tall|far)[\w ]{0,20}(?:to die|to kill|to be fatal|would (?:kill|be fatal)|"
               r"fall|jump|drop)", r"how long (?:does it|would it|will it) take to (?:die|bleed out|drown|"
               r"suffocate|lose consciousness|pass out)", r"(?:painless|quickest|easiest|fastest|surest|quietest)"
               r" (?:way|method|ways|methods) to (?:die|go|end it|kill)", r"(?:is|would) (?:it|hanging|drowning|"
               r"jumping|an overdose|bleeding) (?:be )?(?:painless|quick|fatal|lethal|hurt)",
               r"which (?:artery|vein|bridge|building|pills?|medication)",
               r"\b(?:how|what|which|can|could|is|are|does)\b[\w' ]{0,50}\b(?:fatal|lethal|deadly|kill (?:you|"
               r"a person|someone|a human)|die from|stop (?:a|my|the|your) heart|hit an artery|bleed out)\b",
               r"(?:ways?|methods?|how) to (?:die|kill (?:yourself|myself|oneself)|commit suicide|end (?:it|your life|"
               r"my life|it all))", r"painless (?:methods?|ways?|death|suicide)", r"make it look like an accident",
               r"shut (?:your|my|the|a) (?:liver|kidneys|heart) down", r"(?:read\w*|research\w*|googl\w*|"
               r"look\w* up|search\w*|watch\w*) (?:about |up )?(?:how|ways|methods|the best way)[\w ]{0,30}(?:die|"
               r"end their lives|kill|suicide|overdose|hang)", r"enough to (?:kill|die|be fatal|not wake"
               r" up|end it|do it)", r"would (?:that|it|this) (?:be enough|kill me|do it)")
PREPARATION = alt(r"(?:giv(?:e|ing|en|ed)|gave) (?:\w+ ){0,5}?away(?! (?:to|at) (?:charity|the charity|goodwill|oxfam|"
                  r"a "
                  r"charity|the food bank))",
                  r"(?:suicide|goodbye|farewell) (?:note|letter|video|message)s?",
                  r"(?:wrote|writing|write|written|left|leave|leaving) (?:a |my |the |some )?(?:note|letters?) (?:to|"
                  r"for) "
                  r"(?:everyone|(?:my )?(?:mum|mom|dad|sister|brother|nan|family)|my (?:family|kids|mum|mom|dad|"
                  r"parents|wife|husband|partner|sister|brother|friends|"
                  r"children|loved ones)|the people i love|people|each of|all of|when|after)",
                  r"(?:note|letters?) (?:is|are) (?:written|done|ready)",
                  r"(?:email|message|post|letter)s? (?:is |are )?scheduled",
                  r"scheduled (?:an? )?(?:email|message|post)", r"(?:my )?will is (?:sorted|done|written|signed)",
                  r"(?:subscriptions|accounts|phone contract|lease) (?:cancelled|canceled|closed|deleted)",
                  r"found (?:the|my) (?:cat|dog|pets?|rabbit|bird) a (?:new )?home",
                  r"(?:will not|won't) (?:be )?need(?:ing)? (?:it|them|this|you|anyone|anything|any of (?:it|this|"
                  r"them)|my)",
                  r"hand\w* out my", r"(?:will not|won't) be \w+ing (?:them|it) again", r"gave (?:away )?my "
                  r"(?:savings|money|things|stuff|belongings|possessions)",
                  r"(?:wrote|writing|write|written|updat\w+|made|making|finish\w*|sign\w*) (?:up )?(?:a|my) will",
                  r"(?:getting|got|put|putting|have) (?:everything|my affairs|my things|things|my stuff|"
                  r"it all|all my affairs|my life) (?:all )?in order", r"affairs in order", r"rehom\w*",
                  r"(?:who|someone) (?:will|would|to|can) (?:take care of|look after|feed|get|have) my",
                  r"take care of my (?:cat|dog|pets?|kids|children|plants|things)", r"delet\w+ (?:all )?(?:my|of"
                  r" my) (?:accounts|social media|photos|messages|profiles?)", r"cancel\w* (?:my|all my) "
                  r"(?:\w+ )?(?:subscriptions?|appointments|plans|accounts?|lease|phone|membership)",
                  r"(?:my )?(?:stuff|things|belongings|possessions|savings|money) (?:divided|split|shared|given|left)",
                  r"gave my \w+ (?:\w+ )?to (?:my|a)",
                  r"(?:it is not|it was not|is not) (?:her|his|your|their|anyone's) fault",
                  r"(?:have|get) it after", r"paid off (?:my|all|everything)",
                  r"(?:sorted|sorting|sort) (?:out )?(?:my|the) (?:passwords|finances|accounts|insurance|stuff|"
                  r"things)", "life insurance", r"(?:tidied|cleaned|cleared) (?:out )?(?:my|the) (?:room|flat|"
                  r"house|desk) so", r"left (?:instructions|a list)", r"(?:my|my own) funeral",
                  r"(?:returned|return) everything",
                  r"(?:said|saying|say) (?:my )?goodbyes?", r"visited everyone one last time")
FAREWELL = alt("goodbye", "good bye", "bye everyone", "farewell", r"(?:this is )?my last (?:message|post|words|"
               r"night|day|goodbye)", r"thank you for everything", "thanks for everything", r"(?:you|they|"
               r"nobody|no one) (?:will not|will never|won't) (?:see|hear from|have to deal with) me",
               r"tell (?:my|them|him|her|everyone) [\w ]{0,20}(?:i (?:love|loved|am sorry|was sorry)|it was not)",
               r"none of (?:this|it) (?:was|is) (?:your|her|his|their|anyone's|my \w+'s) fault", r"when (?:they|you|"
               r"someone|somebody|my \w+) finds? me", r"(?:know|knew) (?:that )?i loved (?:them|you|her|him)",
               r"thank(?:s| you) for (?:listening|being there|all)", r"where i am (?:going|headed|heading)",
               r"sorry for everything",
               "forgive me", "remember me", r"see you (?:on the other side|in another life)",
               r"last time (?:you will|you'll|anyone will|i will)", r"counting down",
               r"take care of (?:yourself|each other) for me",
               r"(?:when|after|once) i am gone", r"will not (?:be here|be around) (?:for|to see|by|much|when)",
               r"none of (?:this|it) will matter", r"(?:won't|will not) (?:matter|be a problem) (?:to me )?"
               r"(?:much longer|anymore|soon|by)", "for good", "one last time", r"(?:strangely|weirdly|oddly|"
               r"suddenly) (?:calm|peaceful|at peace)",
               r"made my peace(?= *$|,| with (?:it|everything|dying|death|my decision|everyone|god))",
               r"time for me to go(?= *$|,| now)", r"not (?:scared|afraid|frightened) of (?:dying|death)",
               r"for after(?= *$| i am gone)", r"where (?:they|he|she|you) (?:will|would) find (?:them|it|me)",
               r"(?:for|so) (?:my \w+|them|someone|people|everyone) (?:to )?find", r"last (?:few )?(?:days|time)")
PAST_ACT = alt(r"(?:tried|attempted|try|attempt) (?:to )?(?:kill myself|end my life|end it|die|suicide|take my "
               r"(?:own )?life|overdose|hang myself)", r"(?:my|last|previous|first|second|suicide) attempts?",
               r"(?:overdosed|od'd|odd) (?:last|before|once|twice|a few)", r"(?:i was|was) (?:hospitali[sz]ed|"
               r"sectioned) (?:after|for)")
HOPELESS = alt("hopeless", r"no (?:hope|future|way out|point|reason)", "pointless", r"can not (?:take|do|handle|"
               r"cope with|bear|stand) (?:it|this|any of this|anything|life|much more|the pain)",
               "can not cope", r"nothing (?:will )?(?:ever )?(?:gets? better|changes?|matters)", "trapped",
               r"(?:a|such a) burden", "worthless", r"give up|giving up|gave up", r"done with everything",
               r"nothing left", "empty inside",
               r"(?:feel|feeling|felt) (?:so |really |completely )?(?:empty|numb|hollow)",
               r"tired of (?:everything|it all|fighting|trying)", "want out",
               "unbearable", r"(?:too much|so much) pain", r"pain (?:is|has been) too much", "numb",
               r"(?:hate|despise) (?:myself|my life|being alive)", "can not go on", "no one cares",
               r"nobody (?:cares|would care|loves me)", "alone in this", "exhausted", r"(?:want|need) (?:it|this|"
               r"everything) (?:all )?to (?:stop|end|be over)", "what is the point", "why bother",
               r"(?:i am|i feel) (?:so |completely |totally |really )?(?:done|finished|broken|dead inside)",
               "over it all", r"(?:everyone|everybody) hates me", r"(?:cannot|can not) (?:keep|be) (?:myself )?safe",
               r"scared of what i (?:might|will|would|could) do", r"do not trust myself")
EMERGENCY_NOW = alt(r"(?:outside|here|at the door|in the house|downstairs)\b[\w ]{0,15}\bwith (?:a|the|his|"
                    r"her) (?:knife|"
                    r"gun|weapon|machete|axe|bat)", r"(?:will not|won't) stop bleeding",
                    r"climbing (?:the|over the|onto the|up the) (?:railing|ledge|"
                    r"fence|balcony|barrier)", r"(?:is|are) (?:at|on) the edge of",
                    r"spiked (?:my|her|his|their) drink",
                    r"waiting outside (?:the|my|her|his) (?:door|house|flat|toilets?)", r"blood everywhere",
                    r"can not find my (?:\d+ year old|son|daughter|child|kid|baby|little)",
                    r"(?:cut|slit|slashed) (?:his|her|their) (?:wrists?|throat)",
                    r"not (?:answering|responding|breathing)",
                    r"(?:tied|tying|made|making|have|bought|hung|put up) (?:a|the|my) noose",
                    r"(?:took|taken|had|have taken) an overdose", r"(?:took|swallowed|taken) (?:more|extra) "
                    r"(?:pills|tablets|of my meds)[\w ]{0,30}on purpose", r"engine running", r"(?:cut|cutting) "
                    r"(?:too )?deep",
                    r"(?:someone|somebody|a man|a stranger|an intruder) (?:is )?(?:in|inside) my (?:house|room|flat|"
                    r"home)",
                    r"hiding from (?:him|her|them|my)", r"i am hiding (?:in|from|under|behind)",
                    r"(?:just |already )?(?:took|taken|swallowed|downed) (?:about |around |like |maybe |over )?(?:all|"
                    r"a lot of|a bunch of|a handful of|"
                    r"the whole|a whole|too many|loads of|lots of|every|\d+|twenty|thirty|forty|fifty|a bottle of|"
                    r"the rest of|half)", r"(?:am|is|are|been) bleeding (?:a lot|heavily|badly|everywhere|and)",
                    r"(?:blood|bleeding) (?:will not|won't|does not|is not) stop", r"(?:am|i am) (?:standing|sitting)"
                    r" (?:on|at) (?:the|a) (?:edge|ledge|bridge|roof|rooftop|tracks|platform edge|railing)",
                    r"(?:is|are) not breathing", r"(?:will not|won't|can not) wake (?:him|her|them) up",
                    r"(?:is|are) unconscious", r"(?:breaking|broke|trying to get|trying to break|forcing his way"
                    r"|forcing her way) (?:in|into)", r"(?:is|are) (?:outside|downstairs|at) my (?:door|window|"
                    r"house|flat|apartment)", r"(?:has|got) a (?:knife|gun|weapon)", r"(?:locked|trapped) (?:me )?"
                    r"in (?:the|a|my|his|her)", r"(?:noose|rope) (?:is )?(?:ready|up|tied|around my neck)",
                    r"(?:gun|pistol) (?:is )?(?:loaded|in my hand|to my head|in my mouth)")
DANGER_STATE = alt(r"(?:not|never) safe (?:at home|here|with (?:him|her|them)|in my (?:house|home))",
                   r"(?:scared|afraid|terrified|fear) (?:for my life|he will|she will|they will|of what he|of what "
                   r"she|he is going to|she is going to|to go home)", r"(?:following|stalking|watching|tracking) "
                   r"me", r"(?:will not|won't|does not|doesn't) let me (?:leave|go|out|see)", r"forc\w+ me to",
                   r"spiked my drink",
                   r"(?:was|been|got) (?:sexually |physically )?(?:raped|assaulted|molested|abused|drugged|trafficked)",
                   r"(?:parked|waiting|standing|sitting|lurking|hanging around|watching) outside my (?:house|flat|"
                   r"home|door|work|school|window)", r"found (?:out )?my (?:new )?address", r"messages? from (?:an "
                   r"unknown|a stranger|someone i do not know)", r"describ\w+ what i am wearing", r"(?:i|you) "
                   r"(?:will|am going to|are going to) pay for (?:this|that)", r"(?:i|you) (?:will not|won't) live "
                   r"to", r"took my phone", r"followed me", r"(?:is |are )?(?:still )?(?:behind|following) me",
                   r"hands? (?:round|around|on) my (?:neck|throat)", r"(?:hitting|beating|hurting|screaming at) "
                   r"(?:him|her|the (?:kid|child|baby)|a (?:kid|child))",
                   r"(?:nobody|no one) (?:would|will) (?:ever )?find (?:my|your) body",
                   r"blackmail\w*", r"being (?:abused|stalked|threatened|hurt|hit|beaten|followed|trafficked|"
                   r"blackmailed|groomed|held)", r"lock\w* me (?:in|out|up)", r"(?:abuses|abused|hits|beats|rapes) "
                   r"me", r"abusive (?:relationship|partner|husband|boyfriend|home|parent)",
                   r"comes? into my (?:room|bed) at night",
                   r"knows where i live(?![\w ,]{0,30}(?:good terms|friends|fine|get along))",
                   r"(?:gets|got|is) violent", r"(?:touched|touches|touching) me")

# ---------------------------------------------------------------------------------------- what vetoes

NEGATORS = frozenset({"not", "never", "no", "nor", "without", "nothing", "none", "neither", "nobody"})
# Words that may stand between a negator and what it negates ("no *intention of* harming myself").
NEG_FILLER = frozenset(
    ["i", "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "do", "does", "did", "would",
     "will", "could", "should", "can", "might", "may", "ever", "really", "actually", "even", "just", "going", "to",
     "want", "wanted", "wanting", "plan", "plans", "planning", "planned", "intention", "intentions", "intend",
     "intending", "thoughts", "thought", "thinking", "think", "about", "of", "any", "anything", "something", "that",
     "like", "feel", "feeling", "felt", "desire", "urge", "urges", "try", "trying", "tried", "considering", "consider",
     "again", "currently", "seriously", "honestly", "definitely", "longer", "more", "ready", "myself", "it", "doing",
     "anymore", "at", "all", "serious", "real", "wish", "need", "needs", "needed", "so", "such", "the", "a", "an",
     "gonna", "wanna"])
UNCERTAIN = (r"\b(?:promise|sure|know if|know whether|guarantee|trust myself|certain|swear|if i can|whether i can|"
             r"how long|afraid|scared|worried|unless|what if)\b")
POST_NEGATION = (r"^\W*(?:(?:has|have|had|is|was)? ?(?:never|not) (?:crossed|entered|been on) my mind|(?:is|was|are"
                 r"|would be|will be) (?:not|never|no longer) (?:an option|on the table|something i)|(?:is|are) off "
                 r"the table|(?:is|are) out of the question)")
PAST = alt("used to", r"(?:years|months|a year|a few years|two years|ten years) ago", r"when i was (?:younger|a teen"
           r"|a teenager|in school|a kid|little|in high school|in college|at uni|\d+|fifteen|sixteen|seventeen|"
           r"in my (?:teens|twenties))", "in the past", "back then", r"(?:a )?long time ago", r"as a teen(?:ager)?",
           "at one point", "formerly", "previously", r"in my (?:early |late |mid )?(?:teens|twenties|thirties|20s|30s)",
           r"back in my", r"last year", r"i (?:was|had|did|felt|thought|wanted|planned|tried|used)\b",
           r"when my \w+ (?:ended|died|left)", r"(?:thought|wanted|felt|tried) (?:about|to|like)",
           r"(?:in|back in) (?:19|20)\d\d", "that was", "those days",
           r"(?:my|that) (?:dark|worst|darkest) (?:time|period|year|days)", "once upon")
RECOVERED = alt(r"(?:doing|feel|feeling|am|i am) (?:so |much |a lot )?(?:well|better|good|great|okay|fine|"
                r"stable|happy|healthy|safe) (?:now|these days|nowadays|today|again)",
                r"(?:now|today|these days|nowadays),? i am (?:doing )?(?:well|better|good|great|okay|fine|stable|happy"
                r"|healthy|safe)", "recovered", "in recovery", r"clean (?:for|since)", r"(?:therapy|treatment|"
                r"medication|meds|counsel+ing|my therapist|support|time) (?:really )?(?:helped|helps|saved|changed)",
                r"(?:have not|has not|had no) [\w ]{0,30} (?:in|for|since) (?:years|months|a long time|ages)",
                r"(?:no longer|not any more|not anymore) (?:feel|have|think|do|want)", "past that", "behind me",
                r"proud of (?:how far|myself)", r"(?:got|getting) (?:through|better|help)", "survived",
                r"doing (?:really |so |very |pretty )?(?:well|great|better|good)", r"celebrat\w*",
                r"(?:in|for|since|over) (?:over |more than |about |almost |nearly )?(?:\d+|a|one|two|three|four|five|"
                r"six|seven|"
                r"eight|nine|ten|a few|several|many) (?:years?|months?)",
                r"\d+ (?:days|weeks|months|years) (?:since|clean|free|"
                r"on)",
                r"(?:meds|medication|therapy|support group|treatment|it) (?:are|is) (?:\w+ )?(?:working|helping)",
                r"sorted (?:that|it) out", r"do not feel the way i did", r"found a way through", r"so much better",
                r"(?:therapy|therapist|dbt|cbt|meds|medication|counsel\w*)\b[\w ]{0,25}\b(?:helped|work|works|skills|"
                r"changed)", r"worked through (?:it|that|this)", r"(?:have not|has not) had (?:those|these|that|any) "
                r"(?:thoughts|urges|feelings)", r"last time was (?:in )?(?:\d{4}|years)", r"recovery", r"i am \d+ now",
                r"changed everything", r"healthy weight", r"(?:do not|no longer) feel that (?:way|rage|anger)",
                r"out of (?:our|my) li(?:fe|ves)",
                r"glad (?:i am|to be) (?:still )?(?:here|alive)", "so glad i did not", r"years? (?:clean|free|"
                r"sober)", r"(?:life|things) (?:is|are|got) (?:so much |much )?(?:better|good)",
                r"(?:grateful|thankful) (?:to be|i am) (?:still )?(?:here|alive)")
# A story, a game, a lesson, the news: the risk in it belongs to someone who is not writing.
FRAME = alt(r"horror", "thriller", r"the one where", r"(?:movie|film) night",
            r"(?:my|the|a|this|our|his|her) (?:\w+ )?(?:novel|story|book|screenplay|script|fanfic|fan fiction|poem|"
            r"play|film|movie|show|series|episode|character|protagonist|villain|narrator|plot|scene|chapter|game|"
            r"campaign|quest|level|boss|npc|documentary|podcast|article|essay|dissertation|thesis|"
            r"(?<!practice )(?<!past )(?<!exam )(?<!mock )(?<!test )paper|"
            r"assignment|lecture|module|class|coursework|presentation|report|research|study|news|headline|"
            r"song|lyrics|album|musical|opera)", r"in (?:the|a) (?:game|book|novel|film|movie|show|series|news|"
            r"story|match)", r"d ?& ?d", "dnd", "minecraft", "fortnite", "call of duty", "elden ring", "dark souls",
            "roblox", "valorant", "league of legends", "gta", "my (?:psych|psychology|nursing|sociology|"
            "criminology|english|history|biology) (?:class|course|essay|exam|module|lecture)", "for (?:a|my) "
            "(?:class|course|essay|paper|project|story|book|novel|assignment|exam|module|research)",
            "statistics", "rates of", "risk factors", "prevention", "awareness", "according to", "reported",
            "journalist", "the victim", "the suspect", "police said", "characters?", "fictional", "hypothetically",
            "true crime", r"a (?:documentary|movie|film|novel|book|show) about")
# A question for information, a lesson or grief: the words of the acts with nobody at risk in the match itself.
INFO = alt(r"(?:suicide|self[- ]?harm|self[- ]?injury|suicidal) (?:rates?|statistics|prevention|research|awareness|"
           r"ideation|intent|prevalence|risk factors|training)", r"(?:rates|prevalence|statistics|theory|signs) of",
           r"warning signs", r"spot(?:ting)?", r"clinically", r"researchers?", "guidelines", "training", r"difference "
           r"between", r"in simple terms", r"(?:dissertation|essay|thesis|lecture|module|coursework|teacher|nurse)",
           r"died by suicide", r"lost (?:\w+ )?(?:\w+ )?to suicide", "anniversary", "memorial",
           r"(?:years?|months?) ago",
           r"reporting", r"do people", r"(?:ever )?(?:fully )?recover from")
# A question about ordinary medication use: the dose one may take, not the dose that kills.
MEDICAL = alt(r"(?:safe|normal|usual|recommended|max(?:imum)?|right|correct|daily) (?:dose|dosage|amount|limit)",
              r"can i (?:take|have|mix|combine)", r"(?:is it|it is) safe to",
              r"(?:prescribed|prescription|pharmacist|pharmacy|gp|doctor|"
              r"nurse|vet|refill)", r"accidentally", r"by mistake", r"forgot", r"double dose", r"blood pressure",
              r"(?:for|with) (?:a|my|the) (?:headache|migraine|cold|flu|fever|period pain|"
              r"back pain|toothache|dog|cat)", r"how (?:often|long) (?:can|should) i (?:take|wait)",
              r"(?:missed|forgot|skip\w*) (?:a|my) (?:dose|pill)", r"side effects?", r"interact\w*",
              "weekly organi[sz]er", r"(?:mg|milligrams?)\b(?![\w ]{0,30}(?:kill|die|fatal|lethal))")
# Figures of speech that use the words of the acts about everyday things.
IDIOM = alt(r"(?:is|are|was|were|it is|that is|this is) (?:\w+ )?killing me", "killing it", "killed it",
            r"dying (?:to|for)", "to die for", r"die (?:of|from) (?:embarrassment|laughter|laughing|boredom|shame|"
            r"cringe|cuteness|jealousy|envy|excitement|hunger)", r"(?:nearly|almost) (?:died|killed myself) "
            r"(?:laughing|of|from)", r"(?:kill|murder|die) for (?:a|an|some|the) (?:coffee|pizza|beer|burger|"
            r"nap|drink|sandwich|holiday|cup|chocolate|bed|shower)", r"(?:i am|i was|we were|i felt) dead "
            r"(?:tired|on my feet|serious|wrong|last|inside after)", r"(?:would|will|is going to|gonna) (?:kill|"
            r"murder) (?:me|us) (?:if|for|when|once|because|after|before)(?! (?:i|we) (?:leave|tell|call|report|go "
            r"to|break up|try|run|ever))(?! anyone| the police)", r"(?:kill|killing|murder\w*) (?:me|us) with",
            r"beat (?:me|us) (?:at|in|by|to)",
            r"(?:hit|hits|threw|throws) (?:me|us) with (?:a|the) (?:pillow|ball|snowball|"
            r"water balloon|nerf|sock|cushion)",
            r"(?:kill|murder|strangle|kill\w*) (?:him|her|them|my \w+|you) (?:for|if"
            r" (?:he|she|they) (?:eats?|takes?|borrows?|uses?|forgets?|is late|spoils?))",
            r"(?:so|too) (?:embarrass\w*|"
            r"bored|boring|full|hungry|cringe\w*|awkward|funny|hilarious|bad|cute|jealous|excited|stuffed|hot) "
            r"(?:that )?i (?:\w+ ){0,2}?(?:die|died|dying)", r"(?:die|dying) (?:if i (?:do not|can not|have to|miss)|"
            r"without (?:my|a|some|coffee)|of (?:embarrassment|laughter|boredom|shame|cringe))",
            r"could (?:just )?die(?=,| of | when | if | because | right there)", r"(?:killing|killed|kill) "
            r"(?:myself|me) (?:at|with|over|on|working|studying|laughing|trying|to get|to finish|doing)",
            r"(?:murdered|slayed|slaughtered|destroyed|killed|smashed|nailed) (?:that|it|the|this|our|my)",
            r"(?:cut|cutting) (?:back|down|out|off|corners|ties|carbs|sugar|class|it close|my hair|the)",
            r"dead (?:last|end|line|battery|phone)", r"(?:i am|i will be|am) dead (?:lol|haha|lmao)",
            r"shoot me now", r"end (?:it|things) with (?:him|her|them|my)", r"beat(?:ing)? myself up",
            r"(?:my|the) (?:phone|battery|laptop|plant|car|printer) (?:died|is dying|is dead)",
            r"(?:kill|killed|killing) (?:time|the lights|the engine|the music|the mood|the vibe|the final boss|"
            r"the boss|zombies|monsters|enemies)", r"(?:overdosed|od'd|od) on (?:chocolate|sugar|coffee|caffeine|"
            r"netflix|tv|cake|candy|sweets|memes)", r"(?:jump|jumped|jumping) (?:off|from) the (?:diving board|"
            r"high board|swing|trampoline|wall into the pool|pier into)", r"(?:bridge|tracks) (?:to watch|for "
            r"(?:a|the) (?:photo|view|picture)|at sunset)", r"rather (?:die|be dead) than (?:be seen|wear|eat|"
            r"listen|watch|attend|admit|lose|work|sing|dance|go to)",
            r"hang(?:ing)? (?:out|up|on|in there|the|a|my|it)")
# A joke about an everyday thing, marked as one.
JOKE_MARK = (r"\b(?:lol|lmao|lmfao|rofl|jk|j/k|haha\w*|hehe\w*|just kidding|kidding|joking|xd)\b|"
             r"[\U0001F602\U0001F923\U0001F480\U0001F643\U0001F605]")
JOKE_OBJECT = alt("meetings?", "calls?", "zoom", r"class(?:es)?", "lectures?", "exams?", "tests?", "homework",
                  "essays?", "assignments?", "projects?", "emails?", "songs?", "ads?", "traffic", "queues?",
                  "wifi", "internet", "laptop", "printer", "group ?chat", "shifts?", "mondays?", "spreadsheets?",
                  "deadlines?", "commute", "episode", "maths?", "karaoke", "small talk", "in-?laws", "this song",
                  "that song", "this weather", "heat", "team", "referee", "ref", "match", "game", "party",
                  "parties", "wedding", "dinner", "movie", "show", "finale", "season", "boss", "presentation",
                  "interview", "alarm", "hangover", "gym", "workout", "leg day", "diet", "salad", "quiz", "lesson")
# A clarification in a later turn that takes back an alarming earlier one.
CLARIFY = alt(r"i meant \w+", r"(?:sorry|lol|haha|omg)\W+no\b", r"no no", r"not like that", r"as in\b",
              r"came out wrong", r"sounded (?:bad|wrong|dark)",
              r"^(?:omg |oh |haha |lol )?(?!help|please|no\b|stop|why|"
              r"what|wait)\w+!{2,}", r"i (?:only |just )?(?:meant|mean) (?:in|at|the|my|that|it|like)",
              r"(?:just )?(?:kidding|joking)",
              r"(?:it is|it was|this is|that is|that was) (?:for|from|about|in) (?:a|my|the) (?:story|book|novel|"
              r"game|essay|class|film|movie|show|assignment|script|character|project|paper)",
              r"not (?:talking )?about (?:me|myself|real life)", r"(?:a )?figure of speech", "not literally",
              r"did not mean it (?:like that|literally|that way)", r"(?:just )?an expression",
              r"(?:it is|it was|that is) fiction", r"(?:my|the) character (?:is|was|does|did)",
              r"(?:in|for) (?:the|my|a) (?:game|story|book|novel|script|campaign)")

# Finality in other words: an exit, a last solution, going somewhere one does not come back from.
EXIT = alt(r"(?:log|clock|check|sign|tap|bow)\w* (?:out|off)(?= tonight| for good| now| soon| forever| permanently| of "
           r"(?:life|this world|everything))", r"permanent (?:one|solution|exit|way out|sleep|goodbye|answer)",
           r"(?:one|last|final|only) (?:solution|exit|way out|option)(?: left)?", r"other than not (?:being here|"
           r"existing|being alive)", r"leave (?:everyone|everything|this world|it all) behind", r"nothing (?:holding|"
           r"keeping) me here", r"(?:not|never) (?:be )?(?:coming back|waking up)", r"prepared to go",
           r"(?:i|i am|am) (?:so )?done(?:, | and )",
           r"(?:everything|it all|all) is (?:sorted|arranged|planned|in place|set|ready)",
           r"(?:just )?made a decision", r"do what i (?:have been|am|was) planning", "what i planned",
           r"it (?:all )?ends (?:tonight|today|now|here|soon|this week)",
           r"(?:it is|it will be|then it is) (?:all )?over (?:for good|soon|then)", r"then it is over",
           r"(?:my )?way out",
           r"(?:my )?body gives up", r"check\w* out after")
# A farewell that is a crisis alone.
FAREWELL_STRONG = alt(r"(?:goodbye|bye) (?:everyone|everybody|all|world|forever|for good)",
                      r"(?:this is|this will be|here is) my (?:last|final) (?:message|post|words|goodbye|note)",
                      "my last goodbye", r"by the time you read this", r"this is goodbye")
# Ordinary life events that use the words of farewells and exits: a new job, a move, retiring, a trip.
LIFE_EVENT = alt(r"retir\w*", "hotel", r"shifts?", r"graduat\w*", r"moving (?:out|away|house|abroad)",
                 r"new (?:job|school|house|flat|city)", r"last day (?:at|of)", r"holidays?", "vacation", r"trips?",
                 r"flights?", "airport", r"(?:leaving|farewell) (?:party|drinks|do)", r"the semester", "term",
                 "charity", r"good ?night", r"see you (?:soon|tomorrow|later)", r"talk (?:to you )?(?:soon|later|"
                 r"tomorrow)", r"(?:the|my) (?:breakup|relationship|ex)")
# Getting or keeping a means in secret, or being at a height again and again: a crisis even alone.
SECRET_MEANS = alt(r"stockpil\w*", r"hoard\w*", r"stash\w*", r"keeping back", r"sav(?:ed|ing) up", r"lined up",
                   r"just in case", r"so (?:nobody|no one) (?:would|will) (?:ask|know|notice|find)", r"nobody knows",
                   r"it is for me", r"without (?:anyone|them|him|her) knowing", r"in secret", "secretly",
                   r"hid (?:it|them)", "hidden", r"for (?:bad|hard|tough|dark) (?:nights|days|times)",
                   r"(?:different|several) (?:shops|pharmacies|chemists|stores)", r"all at once", r"for when i need",
                   r"while (?:he|she|they) (?:is|are) asleep", r"sharpen\w* (?:the|a|my) (?:\w+ )?(?:knife|blade|axe)",
                   r"\d+ of (?:my|the|them)", "build up",
                   r"skipp\w* (?:my )?doses", r"(?:pile|stash|supply|stockpile|collection) of",
                   r"(?:can not stop|keep) (?:looking|"
                   r"staring) at (?:it|them)", r"(?:looked|looking|stare\w*|star\w*|peer\w*) over the edge",
                   r"(?:sitting|standing|sat|stood) (?:right )?(?:at|on|near) the edge", r"the combination to")
# Everyday uses of a means: cooking, hunting, a climbing class.
MEANS_EVERYDAY = alt("kitchen", "cooking", "chopping", "hunting", "deer", "shooting range", "fishing", "climbing",
                     "camping", "woodwork", "crafts?", "garden", "to watch", r"for (?:a|the) (?:photo|view|picture)",
                     "take photos", "delayed", "locked up", "safe storage", "scared of heights", "tour")
JOKE_FRAME = alt(r"if i (?:have|had|need|got) to", r"if (?:he|she|they|you|my \w+|anyone|someone) (?:\w+ ){0,5}again",
                 r"so (?:hard|bad|boring|long|annoying|awkward|embarrassing|cringe\w*|slow|loud) (?:that )?i",
                 r"(?:ate|eats|eating|touched|touches|took|takes|borrowed|stole|used|uses) my \w+", r"one more")
# Relief for others + not existing ("it would be easier for everyone if i just did not wake up"); amount questions.
RELIEF_OTHERS = alt("better", "easier", "happier", "relieved", "a relief", "fine", r"a favou?r", "lighter", "simpler",
                    "calmer", "less of a burden", "freer")
NOT_EXISTING = alt("died", "was dead", "were dead", "was gone", "were gone", "did not exist", "stopped existing",
                   r"(?:was|were) not (?:here|around|alive|in it|in the picture)", "disappeared", "vanished",
                   r"(?:did not|never) (?:wake|woke) up(?! (?:(?:so )?early|on time|in time|until|till|at))",
                   "was never born", "had never been born", r"went away (?:for good|forever)", "killed myself",
                   "faded away")
AMOUNT_Q = alt(r"how (?:many|much)", r"what (?:amount|dose|dosage|quantity|number)", "which dose")
MEDICINE = alt(r"pills?", r"tablets?", r"capsules?", "painkillers?", "paracetamol", "tylenol", "acetaminophen", "meds",
               "ibuprofen", "aspirin", "insulin", "codeine", "tramadol", "morphine", "oxy\\w*", "fentanyl", "valium",
               r"antidepressants?", "medications?", "medicines?", "sertraline", "citalopram", "prozac", "fluoxetine",
               "amitriptyline", "lithium", "diazepam", "xanax", "zopiclone", "benadryl", "my prescription")
LETHAL_END = alt(r"enough(?=\W*$| (?:to|for me to|for it to) (?:die|kill|not|never|end|stop|do it|be sure|be over|make"
                 r" sure|sleep|go to sleep|finish))", r"to (?:die|kill me|kill myself|end it|not wake up|never wake up|"
                 r"stop my heart|be fatal|be lethal|make sure)", "lethal", "fatal", "deadly", "an overdose",
                 r"too much for (?:a|my) (?:body|liver|heart)")
# Self-starvation: not eating for days, with intent to go on or to disappear.
NOT_EATING = (r"(?:have not|has not|had not|not|did not|barely|stopped) (?:eaten|eating|had (?:any )?(?:food|"
              r"anything to eat)|eat anything)(?: anything| properly)? (?:(?:in|for|since) )?(?:over |about )?"
              r"(?:(?:\d+|two|three|four|five|six|seven|a few|several|many) (?:days?|weeks?)|a (?:week|fortnight)|days|"
              r"weeks|(?:last )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|the weekend|last week)")
EAT_INTENT = alt(r"(?:do not|am not|not|no) (?:plan|planning|intend|intending|going|want|wanting)(?: on| to)?",
                 r"i (?:will not|am not going to|refuse to)", "no (?:intention|plans?) (?:of|to)", "on purpose",
                 r"(?:want|wanting|hope|hoping|plan|planning) to (?:disappear|fade|waste away|die|starve|not be here|"
                 r"stop existing|keep going|see how long)", r"(?:until|till) i (?:disappear|die|pass out|collapse)",
                 "not stopping", "i deserve", "to punish")
# Wounds said indirectly: a part of the body and damage ("my wrists are a mess again").
WOUND = (r"my (?:\w+ )?(?:wrists?|arms?|forearms?|thighs?|legs?|hips?) (?:are|is|were|was|look|looks|got|"
         r"have been|has been|keeps? being)? ?(?:all |so |really |pretty |completely |such |a )?(?:(?:a |an absolute |"
         r"a total )?mess|cut up|sliced up|torn(?: up| apart| open)?|ripped (?:up|open)|shredded|raw|scratched (?:up|"
         r"raw)|covered in (?:cuts|scars|marks|burns|blood)|bleeding)|the (?:scars|cuts|marks|burns) on my "
         r"(?:wrists?|arms?|forearms?|thighs?|legs?|hips?|stomach) (?:are|is) (?:fresh|new|deep|bleeding|raw|open)")
