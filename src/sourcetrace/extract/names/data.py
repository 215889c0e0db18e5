"""Word lists of name typing (:mod:`.component`): what a name's shape and the words around it
say about what it names."""

from __future__ import annotations

# The last word of a name that makes it a place: "Khan al-Jabal Camp", "Al Tanf Garrison",
# "Rapides Parish", "Mayfield Road". Streets and roads are places a reader can find on a
# map even where the gazetteer cannot put them.
PLACE_HEADS = frozenset("""
camp garrison crossing province governorate base airbase region district county parish
township river lake desert valley mountains mountain hills hill island islands peninsula
border oilfield oilfields field fields countryside village town city borough sea ocean gulf
bay strait canal harbor harbour port coast beach creek springs falls square
street st avenue ave road rd drive dr boulevard blvd lane ln highway hwy parkway pkwy way
trail circle court ct plaza freeway expressway turnpike interstate route pike
""".split())
# Heads of names that are only streets and roads: a place, but no settlement (FAC).
STREET_HEADS = frozenset("""
street st avenue ave road rd drive dr boulevard blvd lane ln highway hwy parkway pkwy way
trail circle court ct plaza freeway expressway turnpike interstate route pike
""".split())
# The last word of a name that makes it an organisation: "Syrian Arab News Agency", "Defense
# Ministry", "Hall County Sheriff's Office".
ORG_HEADS = frozenset("""
agency ministry intelligence service services army forces force navy corps guard guards
council party
committee commission department office bureau directorate authority university college
school institute institution foundation association union federation company corporation
corp inc ltd llc group bank fund court tribunal police brigade brigades battalion regiment
front movement network news times post journal herald tribune gazette telegraph daily
channel radio television tv press magazine review media organization organisation alliance
coalition caucus congress parliament assembly senate legislature administration government
church mosque synagogue hospital clinic center centre club team league elementary academy
""".split())
# Words before a name that say it is a place: "in Benson", "near al-Tanf", "from Moorhead".
LOCATIVE_PREPS = frozenset("""
in near at outside from to into across inside within around toward towards through
throughout via between beyond along off
""".split())
# "the city of Homs", "the province of Idlib": the noun before "of" that makes a place.
PLACE_OF = frozenset("""
city town village province governorate region state county district capital outskirts
suburbs streets people residents mayor governor area areas provinces cities towns
""".split())
# Nouns that name what an organisation is, in apposition: "the Arabic newspaper, X".
ORG_NOUNS = frozenset("""
newspaper daily paper agency channel broadcaster network magazine outlet website tabloid
group organization organisation company firm party movement militia network
""".split())
# Titles before a person's name ("President Bashar al-Assad", "Mr. Bakri").
PERSON_TITLES = frozenset("""
mr mrs ms miss dr sir president prime minister secretary senator sen rep representative
gov governor mayor judge justice general gen colonel col major maj captain capt lieutenant
lt sergeant sgt ambassador envoy spokesman spokeswoman spokesperson chairman chairwoman
king queen prince princess sheikh imam rabbi father pope chancellor premier professor prof
director officer detective sheriff chief commander admiral
""".split())
# Verbs after a name that make it someone who speaks or acts, not a place.
SPEECH_VERBS = frozenset("""
said says told tells added adds stated claimed claims announced announces reported reports
denied denies warned warns wrote writes insisted argued argues explained noted accused
accuses confirmed confirms urged urges alleged alleges
""".split())
# Words NER takes into a name that are not part of it: "Al-Qaeda Fighters", "the SVR
# statement", "the Kurdish Syrian Democratic Forces".
GENERIC_AROUND = frozenset("""
the a an fighters militants members terrorists statement statements spokesman spokeswoman
spokesperson officials official sources source report reports kurdish kurdish-led
turkish-backed us-backed iran-backed russian-backed so-called pro-government 's ’s
""".split())
# Words after a name that make it a disease's or a storm's, not a place's: "Ebola virus".
NOT_PLACE_AFTER = frozenset("""
virus viruses fever disease diseases outbreak outbreaks strain strains vaccine vaccines
syndrome bacteria infection infections flu influenza hemorrhagic haemorrhagic epidemic
""".split())
# Capitalised words that name no one and nowhere: seasons, units, weekdays' companions.
NOT_NAMES = frozenset("""
fall spring summer winter autumn fahrenheit celsius
""".split())
# The last word of a name that makes it an event ("the Cold War", "the Arab Spring", "the
# 2020 Summer Olympics") or a law or treaty ("the Affordable Care Act", "the Paris Agreement").
EVENT_HEADS = frozenset("""
war wars revolution spring depression recession uprising intifada olympics games
""".split())
LAW_HEADS = frozenset("""
act agreement accord accords treaty amendment doctrine protocol
""".split())
# Small words a title-case name of an event, law or work may keep in lower case.
TITLE_SMALL_WORDS = frozenset("of the and for in on to a an at by with from".split())
# Words in a social-media handle that make it an organisation's ("@HarrisPoll",
# "@PpollingNumbers"); any other handle is taken for a person's, as most quoted handles are.
ORG_HANDLE_WORDS = ("poll", "news", "numbers", "media", "times", "post", "daily", "radio",
                    "gov", "official", "press", "network", "party", "report", "tv", "politics",
                    "org", "inc", "team", "club", "foundation", "institute", "council")
# Prefixes NER takes into a name: "anti-Israel", "ex-Soviet", "pro-Russian".
NAME_PREFIXES = frozenset("anti ex pro non post pre neo".split())
