"""The lexicons: the protocol's facts are all there, the loader rejects broken data clearly, and
the finders read names the way patients write them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.lexicon import LEXICON_DIRECTORY, LexiconError, load_lexicon

LEXICON = load_lexicon()


# --- the protocol's facts ------------------------------------------------------------------------

SPEC_MEDICINE_CLASSES = {
    "prednisone": "corticosteroid",
    "prednisolone": "corticosteroid",
    "methylprednisolone": "corticosteroid",
    "triamcinolone": "corticosteroid",
    "hydrocortisone": "corticosteroid",
    "cortisone": "corticosteroid",
    "dexamethasone": "corticosteroid",
    "betamethasone": "corticosteroid",
    "deflazacort": "corticosteroid",
    "cyclophosphamide": "immunosuppressant",
    "methotrexate": "immunosuppressant",
    "azathioprine": "immunosuppressant",
    "mycophenolate_mofetil": "immunosuppressant",
    "mycophenolic_acid": "immunosuppressant",
    "leflunomide": "immunosuppressant",
    "tacrolimus": "immunosuppressant",
    "cyclosporine": "immunosuppressant",
    "voclosporin": "immunosuppressant",
    "tripterygium_glycosides": "immunosuppressant",
    "iguratimod": "immunosuppressant",
    "hydroxychloroquine": "antimalarial",
    "chloroquine": "antimalarial",
    "quinacrine": "antimalarial",
    "belimumab": "targeted",
    "rituximab": "targeted",
    "eculizumab": "targeted",
    "anifrolumab": "targeted",
    "telitacicept": "targeted",
    "ibuprofen": "nsaid",
    "naproxen": "nsaid",
    "diclofenac": "nsaid",
    "celecoxib": "nsaid",
    "meloxicam": "nsaid",
    "indomethacin": "nsaid",
    "patisiran": "lnp_medicine",
}


@pytest.mark.parametrize(("medicine_id", "drug_class"), SPEC_MEDICINE_CLASSES.items())
def test_every_spec_medicine_has_its_class(medicine_id, drug_class):
    assert LEXICON.medicine(medicine_id).drug_class == drug_class


def test_aspirin_is_not_a_lupus_treatment():
    assert LEXICON.find_medicines("aspirin 81 mg") == []


@pytest.mark.parametrize(
    ("steroid", "equal_to_5mg_prednisone"),
    [
        ("prednisone", 5),
        ("prednisolone", 5),
        ("methylprednisolone", 4),
        ("triamcinolone", 4),
        ("hydrocortisone", 20),
        ("cortisone", 25),
        ("dexamethasone", 0.75),
        ("betamethasone", 0.6),
        ("deflazacort", 6),
    ],
)
def test_prednisone_equivalents_follow_the_spec(steroid, equal_to_5mg_prednisone):
    assert LEXICON.prednisone_mg(steroid, equal_to_5mg_prednisone) == pytest.approx(5.0)
    assert LEXICON.prednisone_mg(steroid, equal_to_5mg_prednisone * 6) == pytest.approx(30.0)


def test_prednisone_mg_is_none_for_a_medicine_that_is_no_steroid():
    assert LEXICON.prednisone_mg("hydroxychloroquine", 400) is None
    assert LEXICON.prednisone_mg("no_such_medicine", 10) is None


def test_mycophenolate_forms_count_as_one_i4_drug_and_hydroxychloroquine_counts():
    assert LEXICON.medicine("mycophenolate_mofetil").i4_drug == "mycophenolate"
    assert LEXICON.medicine("mycophenolic_acid").i4_drug == "mycophenolate"
    assert LEXICON.medicine("hydroxychloroquine").i4_drug == "hydroxychloroquine"
    immunosuppressants = [
        m for m in LEXICON.medicines.values() if m.drug_class == "immunosuppressant"
    ]
    assert all(m.i4_drug for m in immunosuppressants)
    assert LEXICON.medicine("belimumab").i4_drug is None


@pytest.mark.parametrize(
    ("vaccine_id", "kind", "covid"),
    [
        ("pfizer_biontech_covid", "mrna_lnp", True),
        ("moderna_covid", "mrna_lnp", True),
        ("moderna_rsv", "mrna_lnp", False),
        ("cspc_sys6006", "mrna_lnp", True),
        ("patisiran", "mrna_lnp", False),
        ("sinovac_coronavac", "other", True),
        ("sinopharm_bbibp", "other", True),
        ("cansino", "other", True),
        ("astrazeneca", "other", True),
        ("janssen", "other", True),
        ("novavax", "other", True),
        ("zifivax", "other", True),
        ("shingrix", "other", False),
        ("flu_injected", "other", False),
        ("hepatitis_b_vaccine", "other", False),
        ("hpv", "other", False),
        ("pneumococcal", "other", False),
        ("tetanus", "other", False),
        ("jynneos", "other", False),
        ("mmr", "live", False),
        ("mmrv", "live", False),
        ("varicella", "live", False),
        ("zostavax", "live", False),
        ("yellow_fever", "live", False),
        ("oral_typhoid", "live", False),
        ("bcg", "live", False),
        ("flumist", "live", False),
        ("oral_polio", "live", False),
        ("rotavirus", "live", False),
        ("oral_cholera_live", "live", False),
        ("dengue", "live", False),
        ("ixchiq", "live", False),
        ("acam2000", "live", False),
        ("hepatitis_a_live", "live", False),
        ("japanese_encephalitis_live", "live", False),
        ("shingles_unspecified", "unknown", False),
    ],
)
def test_every_spec_vaccine_has_its_kind(vaccine_id, kind, covid):
    vaccine = LEXICON.vaccine(vaccine_id)
    assert (vaccine.kind, vaccine.covid) == (kind, covid)


def test_sledai_has_the_24_items_with_their_points():
    assert len(LEXICON.sledai) == 24
    assert sum(item.points for item in LEXICON.sledai.values()) == 8 * 8 + 6 * 4 + 7 * 2 + 3
    not_clinical = {item.id for item in LEXICON.sledai.values() if not item.clinical}
    assert not_clinical == {"low_complement", "increased_dna_binding"}


def test_all_names_lists_surface_forms_for_training_data():
    assert {"plaquenil", "cellcept", "硫酸羟氯喹"} <= set(LEXICON.all_names("medicine"))
    assert {"comirnaty", "sinovac"} <= set(LEXICON.all_names("vaccine"))
    assert "hair loss" in LEXICON.all_names("sledai")


# --- finders --------------------------------------------------------------------------------------


def named(kind: str, text: str) -> list[str]:
    """The entries of `kind` a text names, in order, once each, from `locate` (as the parsers
    read them)."""
    return list(dict.fromkeys(match.entry_id for match in LEXICON.locate(kind, text)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plaquenil and prednisone", ["hydroxychloroquine", "prednisone"]),
        (
            "I take plaquinil, predisone and cellcep",
            ["hydroxychloroquine", "prednisone", "mycophenolate_mofetil"],
        ),
        ("hydroxycloroquine 200mg", ["hydroxychloroquine"]),
        ("HYDROXYCHLOROQUINE", ["hydroxychloroquine"]),
        ("hyrdoxychloroquine", ["hydroxychloroquine"]),
        ("hydroxy chloroquine", ["hydroxychloroquine"]),
        ("Medrol 4mg", ["methylprednisolone"]),
        ("advil when needed", ["ibuprofen"]),
        ("pred 5", ["prednisone"]),
        ("methotrexate weekly and folic acid", ["methotrexate"]),
        ("mycophenolate mofetil", ["mycophenolate_mofetil"]),
        ("myfortic", ["mycophenolic_acid"]),
        ("Benlysta infusions, also rituximab once", ["belimumab", "rituximab"]),
        ("我在吃硫酸羟氯喹和泼尼松", ["hydroxychloroquine", "prednisone"]),
        (
            "甲泼尼龙 吗替麦考酚酯 他克莫司",
            ["methylprednisolone", "mycophenolate_mofetil", "tacrolimus"],
        ),
        ("泼尼松龙", ["prednisolone"]),
        ("雷公藤多苷和艾拉莫德", ["tripterygium_glycosides", "iguratimod"]),
        ("贝利尤单抗、泰它西普、利妥昔单抗", ["belimumab", "telitacicept", "rituximab"]),
        (
            "甲氨蝶呤 硫唑嘌呤 来氟米特 环孢素 环磷酰胺",
            ["methotrexate", "azathioprine", "leflunomide", "cyclosporine", "cyclophosphamide"],
        ),
        ("plaquenil and Plaquenil again", ["hydroxychloroquine"]),
        ("no", []),
        ("hello", []),
        ("I'm alive, thanks", []),
        ("a neural problem", []),
        ("", []),
    ],
)
def test_find_medicines(text, expected):
    assert LEXICON.find_medicines(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pfizer then a moderna booster", ["pfizer_biontech_covid", "moderna_covid"]),
        ("Moderna RSV vaccine", ["moderna_rsv"]),
        ("Pfizer RSV", ["abrysvo"]),
        ("sinovac twice, then sinopharm", ["sinovac_coronavac", "sinopharm_bbibp"]),
        ("科兴和国药", ["sinovac_coronavac", "sinopharm_bbibp"]),
        ("复必泰", ["pfizer_biontech_covid"]),
        ("MMR", ["mmr"]),
        ("mmrr", []),
        ("the nasal flu vaccine", ["flumist"]),
        ("a flu shot", ["flu_injected"]),
        ("鼻喷流感疫苗", ["flumist"]),
        ("流感疫苗", ["flu_unspecified"]),  # shot or the live nasal spray: asked
        ("shingles shot", ["shingles_unspecified"]),
        ("Shingrix", ["shingrix"]),
        ("Zostavax", ["zostavax"]),
        ("J&J", ["janssen"]),
        ("Onpattro", ["patisiran"]),
        ("a modern clinic", []),
        ("casino", []),
    ],
)
def test_vaccines_named(text, expected):
    assert named("vaccine", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("swollen joints and a rash", ["arthritis", "rash"]),
        ("hair falling out, mouth ulcers", ["alopecia", "mucosal_ulcers"]),
        ("chest pain when breathing", ["pleurisy"]),
        ("foamy urine and blood in urine", ["proteinuria", "hematuria"]),
        ("fits", ["seizure"]),
        ("I never had that", []),
        ("系统性红斑狼疮", []),
        ("脱发 口腔溃疡 发烧", ["alopecia", "mucosal_ulcers", "fever"]),
    ],
)
def test_sledai_items_named(text, expected):
    assert named("sledai", text) == expected


@pytest.mark.parametrize(
    "word",
    ["confusion", "program", "fluid", "audience", "milestone", "strikes", "retina", "never"],
)
def test_everyday_words_near_a_name_are_not_read_as_misspellings(word):
    assert LEXICON.find_medicines(word) == []
    assert named("vaccine", word) == []
    assert named("sledai", word) == []


def test_generic_covid_is_no_product():
    assert named("generic_covid", "the covid shot") == ["generic_covid"]
    assert named("generic_covid", "新冠疫苗") == ["generic_covid"]
    assert named("vaccine", "the covid shot") == []


# --- validation -----------------------------------------------------------------------------------


@pytest.fixture
def lexicon_copy(tmp_path: Path) -> Path:
    for source in LEXICON_DIRECTORY.glob("*.yml"):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "medicines.yml",
            "class: antimalarial\n    i4_drug: hydroxychloroquine",
            "class: antimalaria\n    i4_drug: hydroxychloroquine",
            "medicines.yml: entry 'hydroxychloroquine': unknown class 'antimalaria'",
        ),
        (
            "medicines.yml",
            "    prednisone_equivalent_mg: 0.75\n",
            "",
            "medicines.yml: entry 'dexamethasone': a corticosteroid needs prednisone_equivalent_mg",
        ),
        (
            "medicines.yml",
            "  - id: chloroquine\n",
            "  - id: quinacrine\n",
            "medicines.yml: entry 'quinacrine': duplicate id",
        ),
        (
            "medicines.yml",
            "names: [quinacrine, mepacrine",
            "names: [quinacrine, Plaquenil",
            "medicines.yml: entry 'quinacrine': name 'Plaquenil' is also used by entry "
            "'hydroxychloroquine'",
        ),
        (
            "medicines.yml",
            "    class: immunosuppressant\n    i4_drug: leflunomide\n",
            "    i4_drug: leflunomide\n",
            "medicines.yml: entry 'leflunomide': missing field(s): class",
        ),
        (
            "vaccines.yml",
            "kind: live\n    covid: false\n    names: [mmr,",
            "kind: alive\n    covid: false\n    names: [mmr,",
            "vaccines.yml: entry 'mmr': unknown kind 'alive'",
        ),
        (
            "sledai.yml",
            "  - id: fever\n    name: Fever\n    points: 1\n",
            "  - id: fever\n    name: Fever\n    points: one\n",
            "sledai.yml: entry 'fever': 'points' must be a whole number",
        ),
    ],
)
def test_broken_lexicon_names_file_entry_and_problem(lexicon_copy, file, old, new, message):
    _replace(lexicon_copy / file, old, new)
    with pytest.raises(LexiconError) as raised:
        load_lexicon(lexicon_copy)
    assert str(raised.value).startswith(message)


def test_invalid_yaml_names_the_file(lexicon_copy):
    (lexicon_copy / "sledai.yml").write_text("sledai: [\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"^sledai\.yml: is not valid YAML"):
        load_lexicon(lexicon_copy)


def test_missing_file_names_the_file(lexicon_copy):
    (lexicon_copy / "vaccines.yml").unlink()
    with pytest.raises(LexiconError, match=r"^vaccines\.yml: cannot be read"):
        load_lexicon(lexicon_copy)


def test_the_shipped_lexicons_load_from_their_directory():
    assert load_lexicon(LEXICON_DIRECTORY) is LEXICON
