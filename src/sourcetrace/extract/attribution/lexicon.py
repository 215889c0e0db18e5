"""Every word list the attribution rules use, in one place.

Cue verbs are keyed by lemma. A lemma in ``HEDGING_CUES`` marks its content as uncertain by
itself ("X claimed that ...", "X alleged ..."): the reporter distances itself from the claim.
"""

from __future__ import annotations

# Verbs that introduce reported speech or thought when they govern a clause or a quotation.
SPEECH_VERBS: frozenset[str] = frozenset(
    """
    say tell add claim allege accuse disclose confess admit acknowledge stress warn opine
    report detail argue complain insist state note announce deny explain estimate continue
    conclude write tweet post declare assert affirm confirm reveal suggest indicate mention
    comment remark reply respond answer retort recall recount describe observe point emphasize
    emphasise underline maintain contend reiterate repeat predict forecast promise pledge vow
    threaten urge demand charge testify concede caution advise ask question wonder believe
    think hope fear worry feel learn find show read cite quote quip joke boast brag
    lament lambaste slam blast criticize criticise condemn praise hail welcome dismiss reject
    counter rebut dispute contest acknowledge recommend propose suggest signal hint imply
    speculate expect agree disagree order instruct inform notify brief announce publish
    release issue convey relay express reckon figure conclude determine discover establish
    surmise assume stipulate specify clarify elaborate outline highlight
    """.split()
)

# Cues whose direct object is their content ("X denied the allegations", "X announced a
# ban"): PolNeAR annotates these as attributions too.
OBJECT_CONTENT: frozenset[str] = frozenset(
    """
    announce deny confirm reveal disclose propose acknowledge admit reject dismiss criticize
    criticise condemn praise hail welcome predict promise pledge vow demand urge recommend
    dispute contest concede describe detail outline allege claim warn threaten accuse blame estimate
    charge
    """.split()
)

# Cues whose direct object is the addressee, not the content ("told her", "urged Congress
# to act": the content is the clause or the infinitive).
ADDRESSEE_VERBS: frozenset[str] = frozenset(
    """
    tell urge ask inform advise remind brief notify invite encourage implore beg persuade
    """.split()
)

# Reporting the claim with these cues signals doubt (or that it is only an assertion).
HEDGING_CUES: frozenset[str] = frozenset(
    "claim allege accuse purport speculate rumour rumor believe suggest insist".split()
)

# Words that, inside the content or on the cue, make the content uncertain.
HEDGE_WORDS: frozenset[str] = frozenset(
    """
    reportedly allegedly purportedly apparently supposedly ostensibly possibly perhaps maybe
    probably likely unlikely rumoured rumored unconfirmed unverified may might could seemingly
    """.split()
)

# Passive constructions with no agent ("X has been accused of", "it is believed that") are
# attributions to an unnamed, vague source.
PASSIVE_CUES: frozenset[str] = frozenset(
    """
    say claim allege accuse believe report suspect rumour rumor think understand know
    expect fear estimate suggest charge
    """.split()
)

# Nouns that stand for a statement-like source ("the statement said", "the SVR statement adds").
STATEMENT_NOUNS: frozenset[str] = frozenset(
    """
    statement report communique communiqué release announcement letter memo document
    message post tweet readout transcript study survey poll analysis assessment
    investigation review bulletin notice declaration note paper filing complaint
    lawsuit ruling order press briefing
    """.split()
)

# Nouns that make a source organisational ("the agency added", "the ministry said").
ORG_NOUNS: frozenset[str] = frozenset(
    """
    agency ministry department service government administration office company firm
    organisation organization group committee council commission army military navy
    police force forces campaign party embassy newspaper paper channel network outlet
    broadcaster website site station institute university court board bank union
    coalition alliance team intelligence command headquarters authority authorities
    center centre foundation association parliament congress senate house cabinet
    corp corporation inc ltd llc co news times post press herald journal tribune
    """.split()
)

# Role nouns for people ("the Russian envoy said", "the spokesman added").
PERSON_NOUNS: frozenset[str] = frozenset(
    """
    envoy ambassador spokesman spokeswoman spokesperson minister president premier
    chancellor king queen prince governor mayor senator congressman congresswoman
    representative rep lawmaker legislator candidate nominee secretary chief director
    head leader chairman chairwoman chair ceo founder commander general colonel officer
    lieutenant captain sergeant admiral judge lawyer attorney prosecutor aide adviser
    advisor diplomat deputy official man woman boy girl father mother son daughter wife
    husband resident witness doctor professor researcher scientist economist author
    journalist reporter correspondent editor columnist writer activist politician
    strategist consultant manager executive owner employee worker teacher student pastor
    priest imam bishop pope sheikh cleric emir general owner pollster veteran
    """.split()
)

# Unnamed sources that the reporter vouches for but does not name.
ANONYMOUS_NOUNS: frozenset[str] = frozenset(
    "source sources insider insiders official officials person people aide aides".split()
)

# Collective or generic sources: who exactly says it is left open.
VAGUE_NOUNS: frozenset[str] = frozenset(
    """
    analyst analysts critic critics expert experts observer observers commentator
    commentators report reports rumour rumours rumor rumors media many some others
    supporters opponents skeptics sceptics residents witnesses locals activists
    allies loyalists backers detractors associates confidants friends
    """.split()
)

# People known only by whom they are near ("a source close to X", "aides to X", "X allies",
# "a Trump adviser"): when a name hangs off one of these heads the source is not that name
# but someone near it, unnamed (anonymous) or a group (vague, see VAGUE_NOUNS).
ENTOURAGE_NOUNS: frozenset[str] = frozenset(
    """
    source insider official person people aide adviser advisor ally associate confidant
    friend loyalist backer staffer operative someone somebody those one
    """.split()
)

# Quantifiers that make a plural source vague rather than anonymous ("many analysts").
VAGUE_DETERMINERS: frozenset[str] = frozenset("many some several most few various".split())

PERSON_PRONOUNS: frozenset[str] = frozenset("he she him her i me".split())
PLURAL_PRONOUNS: frozenset[str] = frozenset("they them we".split())
NEUTER_PRONOUNS: frozenset[str] = frozenset("it this that".split())
RELATIVE_PRONOUNS: frozenset[str] = frozenset("who which that whom".split())
