"""The name-typing component: one typed reading of every name, on our own example texts."""

from __future__ import annotations

import pytest


def _names(nlp, text: str) -> dict[str, tuple[str, str, str | None]]:
    doc = nlp(text)
    return {doc[n.start : n.end].text: (n.label, n.reason, n.kb) for n in doc._.names}


def _places(nlp, text: str) -> dict[str, tuple[str | None, str]]:
    return {m.text: (m.country, m.role) for m in nlp(text)._.places}


def test_a_known_actor_is_never_a_place(nlp) -> None:
    text = ("The state agency SANA said convoys left. A White House task force met in "
            "Washington on Monday.")
    names = _names(nlp, text)
    assert names["SANA"][0] == "ORG" and names["SANA"][2] == "sana"
    places = _places(nlp, text)
    assert "SANA" not in places  # no town in Yemen
    assert "White" not in places and "White House" not in places
    assert places["Washington"][0] == "US"


def test_knowledge_base_spans_replace_cut_or_padded_ner_names(nlp) -> None:
    names = _names(nlp, "Fighters of the Islamic State crossed the river. Daesh denied it.")
    assert names["Islamic State"][2] == "isis"
    assert "Islamic" not in names
    assert names["Daesh"][:1] == ("ORG",) and names["Daesh"][2] == "isis"


def test_headline_words_the_story_uses_as_words_are_no_names(nlp) -> None:
    text = ("Rebels Train Recruits To Deploy To The Front: Report\n\n"
            "The rebels are deploying recruits along the front, officials said.")
    names = _names(nlp, text)
    assert "Deploy" not in names
    assert "Deploy" not in _places(nlp, text)


def test_shape_of_a_name(nlp) -> None:
    text = ("Families left the Khan al-Jabal Camp near the border. The Defense Ministry "
            "said roads near Mayfield Road were closed.")
    names = _names(nlp, text)
    assert names["Khan al-Jabal Camp"][0] in ("LOC", "FAC", "GPE")
    assert names["Defense Ministry"][0] == "ORG"
    assert names["Mayfield Road"][0] == "FAC"
    assert "Mayfield Road" in _places(nlp, text)  # a place, though not geocoded


def test_people_by_title_and_surname(nlp) -> None:
    text = ("The preacher Omar Bakri Mohammed spoke in London. Later, Bakri said he had "
            "left. Mr. Halvorsen declined to comment.")
    names = _names(nlp, text)
    assert names["Bakri"][:2] == ("PERSON", "surname")
    assert names["Halvorsen"][0] == "PERSON"
    assert "Bakri" not in _places(nlp, text)


def test_apposition_makes_an_organisation(nlp) -> None:
    text = "In an interview with the London-based newspaper, al-Rayah al-Jadida, he spoke."
    assert _names(nlp, text)["al-Rayah al-Jadida"][0] == "ORG"


def test_place_context_lists_and_discourse(nlp) -> None:
    text = ("Clashes were reported in the provinces of Raqqah, Hasakah and Dayr al-Zawr. "
            "Residents of Hasakah fled.")
    places = _places(nlp, text)
    for name in ("Raqqah", "Hasakah", "Dayr al-Zawr"):
        assert places[name][0] == "SY", name


def test_disease_names_are_no_places(nlp) -> None:
    assert "Ebola" not in _places(nlp, "The Ebola virus spread quickly last year.")


@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        ("Moscow denied the report on Tuesday.", "Moscow", "metonymic"),
        ("The talks were held in Moscow on Tuesday.", "Moscow", "literal"),
        ("Russia's ambassador spoke at the meeting.", "Russia", "metonymic"),
        ("Syrian forces entered the town.", "Syrian", "demonym"),
    ],
)
def test_place_roles(nlp, text: str, name: str, role: str) -> None:
    assert _places(nlp, text)[name][1] == role


def test_variant_spellings_and_city_province_pairs_are_one_place(nlp) -> None:
    a = nlp("Fighting went on in the Homs - Deir Ezzor areas.")._.places
    b = nlp("Clashes hit the provinces of Raqqah and Dayr al-Zawr.")._.places
    deir = next(m for m in a if m.text == "Deir Ezzor")
    dayr = next(m for m in b if m.text == "Dayr al-Zawr")
    assert deir.place == dayr.place and deir.kind == "admin1"
    doc = nlp("Troops moved into the province of Homs. In Homs, shops stayed shut.")
    assert len({m.place for m in doc._.places if m.text == "Homs"}) == 1


def test_distinct_actors_stay_distinct(nlp) -> None:
    text = ("The SVR and the Russian Ministry of Defence both spoke. ISIS and al-Qaeda "
            "fighters clashed. SANA said the SDF had withdrawn.")
    names = _names(nlp, text)
    kbs = {n: v[2] for n, v in names.items() if v[2]}
    assert kbs.get("SVR") == "svr" and kbs.get("ISIS") == "isis" and kbs.get("SANA") == "sana"
    assert len(set(kbs.values())) == len(kbs)


def test_a_disease_named_once_is_no_place_anywhere_in_the_story(nlp) -> None:
    text = ("Cases of the Marburg virus rose. Marburg spreads through contact, and health "
            "workers in Uganda said Marburg cases doubled.")
    places = _places(nlp, text)
    assert "Marburg" not in places and "Uganda" in places


def test_a_lone_capitalised_acronym_is_no_small_town(nlp) -> None:
    text = "Aid workers of SOS said the camp was calm. According to SOS, food ran short."
    assert "SOS" not in _places(nlp, text)


def test_names_glued_by_a_slash_or_a_bracket_are_split(nlp) -> None:
    doc = nlp("A photo by REUTERS/Aly Vantor shows the Northern Grain Cooperative (NGC) office.")
    texts = {doc[n.start : n.end].text for n in doc._.names}
    assert not any("/" in t or "(" in t for t in texts)


def test_headings_and_menus_are_no_names(nlp) -> None:
    text = ("The council met on Monday and approved the plan.\n\n"
            "Sign up for Daily Bulletins Manage Bulletins\n\n"
            "CLICK HERE FOR COMPLETE FLOOD COVERAGE\n\nThe mayor spoke later.")
    names = _names(nlp, text)
    assert not any("Bulletins" in n or "COVERAGE" in n for n in names)


def test_a_name_ner_missed_again_is_found_by_its_first_reading(nlp) -> None:
    text = ("The economist Oskar Thelwell wrote the report. Critics disagreed with "
            "Thelwell on the numbers, and Thelwell replied on Friday.")
    doc = nlp(text)
    people = [doc[n.start : n.end].text for n in doc._.names if n.label == "PERSON"]
    assert people.count("Thelwell") == 2


def test_a_given_name_makes_a_person(nlp) -> None:
    text = "The decision was criticised by Heather Vandermolen, a lawyer in the city."
    assert _names(nlp, text)["Heather Vandermolen"][0] == "PERSON"


def test_a_sentence_dense_with_names_is_no_headline(nlp) -> None:
    text = ("The Northern Grain Cooperative Department of Fisheries has announced new rules. "
            "Ivo Brandt, Chief Inspector of the Northern Grain Cooperative Department of "
            "Fisheries, confirmed it.")
    names = _names(nlp, text)
    assert any("Department of Fisheries" in n for n in names)


# -- issue 17, second pass: other names, names NER drops or never sees, roles -------------


def _mention_rows(nlp, text: str) -> dict[str, str]:
    from sourcetrace.model import Document
    from sourcetrace.nlp.basic import basic_rows

    doc = nlp(text)
    return {m["text"]: m["label"] for m in basic_rows(doc, Document(id="x", text=text))["mentions"]}


def test_events_laws_and_codes_are_names_of_their_own(nlp) -> None:
    text = ("Farmers had not suffered so much since the Great Depression and World War II. "
            "The Velmor Act passed after the Quarry Spring of 2011. Nobody regretted the "
            "Lanfar War itself. The bomb, known as a MOAB-43B, fell on the caves.")
    names = _names(nlp, text)
    assert names["Great Depression"][0] == "EVENT" and names["World War II"][0] == "EVENT"
    assert names["Quarry Spring"][0] == "EVENT"  # NER may miss it: "the" + name + head
    assert names["Velmor Act"][0] == "LAW"
    assert names["Lanfar War"][0] == "EVENT"
    assert names["MOAB-43B"][0] == "PRODUCT"  # letters, hyphen, number: no actor
    rows = _mention_rows(nlp, text)
    assert rows["Great Depression"] == "EVENT" and rows["MOAB-43B"] == "PRODUCT"


def test_an_article_or_prefix_ner_took_in_is_trimmed_not_the_name_dropped(nlp) -> None:
    text = ("Volunteers from the Brenmoor Institute for Rural Values met staff of the "
            "Halden Justice Center. The anti-Israel campaign grew.")
    names = _names(nlp, text)
    assert names["Brenmoor Institute for Rural Values"][0] == "ORG"
    assert "Halden Justice Center" in names
    assert names["Israel"][0] == "GPE" and names["Israel"][2] == "israel"


def test_hashtags_handles_and_party_letters(nlp) -> None:
    text = ('Supporters posted under #TellTheClinic. "I was helped #TellTheClinic #NoShame" '
            "@maryquell wrote. A poll by @VantaPoll followed. Senator Dora Pelling (D) and "
            "Rep. Ivo Marsh, R-Tex., disagreed.")
    rows = _mention_rows(nlp, text)
    assert rows["TellTheClinic"] == "HASHTAG"  # repeated: a campaign
    assert "NoShame" not in rows or rows["NoShame"] != "HASHTAG"  # once: a slogan
    assert rows["maryquell"] == "PERSON" and rows["VantaPoll"] == "ORG"
    assert rows["D"] == "NORP" and rows["R"] == "NORP"


def test_a_surname_of_a_person_the_story_names_beats_an_organisation_of_that_name(nlp) -> None:
    text = ("Michael Bloomberg offered to pay staff. Bloomberg said the money was his. "
            "Gen. Tolan Mattis retired. Mattis declined to comment.")
    names = _names(nlp, text)
    assert names["Bloomberg"][:2] == ("PERSON", "surname")
    assert names["Mattis"][0] == "PERSON"


def test_companies_and_one_word_institutions(nlp) -> None:
    text = ("Shares of Aurora Cannabis, Inc. rose. Aurora said sales doubled. The Senate "
            "voted on Tuesday and the Army agreed.")
    names = _names(nlp, text)
    assert names["Aurora Cannabis"][0] == "ORG" and names["Aurora"][0] == "ORG"
    assert names["Senate"][0] == "ORG" and names["Army"][0] == "ORG"  # "the" + a head word
    assert "Senate" not in _places(nlp, text)


def test_names_glued_by_ner_that_are_known_names_are_apart(nlp) -> None:
    names = _names(nlp, "The Trump-Russia investigation widened on Monday.")
    assert names["Trump"][2] == "donald-trump" and names["Russia"][2] == "russia"


def test_counties_of_a_list_are_places(nlp) -> None:
    names = _names(nlp, "He won Sweetwater, Sheridan and Converse counties on Saturday.")
    assert all(names[n][0] in ("GPE", "LOC") for n in ("Sweetwater", "Sheridan"))


@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        # a country qualifying a thing is where the thing is; a policy's is its target
        ("The probe into meddling in the US election widened.", "US", "literal"),
        ("The order froze any U.S. assets of the men.", "U.S.", "literal"),
        ("Aides unveiled the new Cuba policy on Friday.", "Cuba", "metonymic"),
        ("Critics saw damage to U.S. foreign policy.", "U.S.", "demonym"),
        ("Analysts see the impact on Russia's own economy.", "Russia", "literal"),
        ("The bloc added two new members, India and Pakistan, last year.", "India",
         "metonymic"),
        ("He regretted the invasion of Iraq in 2003.", "Iraq", "literal"),
        ("Flights between the U.S. and Cuba resumed.", "Cuba", "literal"),
        ("LONDON — The minister resigned on Sunday.", "LONDON", "literal"),
    ],
)
def test_place_roles_of_countries(nlp, text: str, name: str, role: str) -> None:
    assert _places(nlp, text)[name][1] == role


def test_a_place_said_to_be_a_place_is_literal_and_a_legal_form_is_no_name(nlp) -> None:
    places = _places(nlp, "Mayor Quint said Chicago will always be a welcoming city.")
    assert places["Chicago"][1] == "literal"
    assert "LLC" not in _names(nlp, "The firm, registered as an LLC, sold the building.")
