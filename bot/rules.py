"""The rule functions that judge one criterion each, and the skip-logic predicates.

The trial definition (bot/trials/*.yml) names a rule and gives its numbers; the functions here
only apply them. Each returns a `Finding` whose `reason` is written for a coordinator (factual,
with the numbers) and which never invents an answer: anything it cannot decide is `unknown`.

Reasons are English (the store and the CSV keep them so), composed with `say(template,
**params)`: the result is the English text, a `str`, that also remembers its template and
params (`reason_tree`), so the dashboard can say the same reason in the coordinator's language
from the `dashboard` catalog (`pybabel extract -k say`). A param may itself be said (a nested
reason), a list (`said_list`), or a plain value (numbers, dates, medicine names).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from bot.lexicon import Lexicon
from bot.parsing import UNSURE

MET = "met"
NOT_MET = "not_met"
UNKNOWN = "unknown"
NOT_MET_UNTIL = "not_met_until"
INFORMATION = "information"
PENDING = "pending"
# What a verdict can say of a criterion. "pending": its question is not answered yet (a screening
# that ended early on a permanent not_met has its unasked criteria as "unknown" instead).
VERDICT_STATUSES = (MET, NOT_MET, UNKNOWN, NOT_MET_UNTIL, INFORMATION, PENDING)


class Said(str):
    """An English reason that keeps how it was composed: `tree` (see `reason_tree`)."""

    tree: dict[str, Any]

    def __new__(cls, text: str, tree: dict[str, Any]) -> Said:
        said = super().__new__(cls, text)
        said.tree = tree
        return said

    def __reduce__(self):  # copy and pickle keep the tree
        return (Said, (str(self), self.tree))


def _tree(value: Any) -> Any:
    return value.tree if isinstance(value, Said) else value


def say(template: str, **params: Any) -> Said:
    """The English `template.format(**params)`, remembering template and params."""
    return Said(
        template.format(**params),
        {"t": template, "p": {name: _tree(value) for name, value in params.items()}},
    )


def said_together(*pieces: str) -> Said:
    """Reasons one after another (English: joined by spaces)."""
    return Said(" ".join(pieces), {"j": [_tree(piece) for piece in pieces]})


def said_list(items: list, empty: Said | None = None) -> Said:
    """A list of names or reasons (English: "a, b, c"); `empty` (default "none") if empty."""
    if not items:
        return empty if empty is not None else say("none")
    return Said(", ".join(items), {"l": [_tree(item) for item in items]})


def reason_tree(reason: str) -> dict[str, Any]:
    """How a reason was composed, as JSON: {"t": template, "p": {name: value or tree}},
    {"j": [trees]} (one after another) or {"l": [trees or names]} (a list). A plain string is
    its own template."""
    return reason.tree if isinstance(reason, Said) else {"t": str(reason), "p": {}}


@dataclass(frozen=True)
class Answer:
    """What the patient typed for one question and what the parser read from it.

    `value` is the parser's JSON-able result; an answer that stayed unclear after one re-ask is
    stored as UNSURE, so no answer is ever dropped.
    """

    text: str
    value: Any

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Answer:
        return cls(text=str(data.get("text", "")), value=data.get("value"))


@dataclass(frozen=True)
class Finding:
    """One rule's finding, before the engine adds the criterion's identity (a Verdict)."""

    status: str  # one of VERDICT_STATUSES
    reason: str
    until: date | None = None
    # A met criterion the coordinator should still confirm ("birth control does not apply").
    confirm: bool = False


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may read: the answers that count, the date and the lexicons."""

    answers: Mapping[str, Answer]
    today: date
    lexicon: Lexicon
    params: Mapping[str, Any] = field(default_factory=dict)

    def value(self, question_id: str) -> Any:
        answer = self.answers.get(question_id)
        return None if answer is None else answer.value


def _is_unsure(value: Any) -> bool:
    return value is None or value == UNSURE


def _incomplete(value: Any) -> bool:
    """A list of medicines the patient says has others they can't name."""
    return isinstance(value, dict) and bool(value.get("incomplete"))


def _medicine_ids(value: Any) -> list[str]:
    return list(value.get("medicines", [])) if isinstance(value, dict) else []


def _ever_ids(value: Any) -> list[str]:
    """Medicines taken now or in the past (never the only planned ones)."""
    if not isinstance(value, dict):
        return []
    return list(value.get("medicines", [])) + list(value.get("past", []))


def _classes(lexicon: Lexicon, medicine_ids: list[str]) -> set[str]:
    return {lexicon.medicine(m).drug_class for m in medicine_ids}


def _names(lexicon: Lexicon, medicine_ids: list[str]) -> str:
    return said_list([lexicon.medicine(m).name for m in medicine_ids])


def _i4_drugs(lexicon: Lexicon, medicine_ids: list[str]) -> set[str]:
    drugs = (lexicon.medicine(m).i4_drug for m in medicine_ids)
    return {drug for drug in drugs if drug}


def _yes_no_rule(value: Any, *, yes: Finding, no: Finding, what: str) -> Finding:
    if value == "yes":
        return yes
    if value == "no":
        return no
    return Finding(UNKNOWN, say("Not sure about {what}.", what=what))


def _date_range(value: Any) -> tuple[date, date] | None:
    if isinstance(value, dict) and "earliest" in value and "latest" in value:
        return date.fromisoformat(value["earliest"]), date.fromisoformat(value["latest"])
    return None


def _describe_range(earliest: date, latest: date) -> str | Said:
    if earliest == latest:
        return earliest.isoformat()
    return say(
        "between {earliest} and {latest}", earliest=earliest.isoformat(), latest=latest.isoformat()
    )


def washout(value: Any, wait: relativedelta, today: date, what: str) -> Finding:
    """Judge "not within <wait> of an event" from the event's date range.

    Met when even the latest possible date is long enough ago; time-limited when even the
    earliest possible date is too recent (re-check once the latest date plus the wait has
    passed); unknown when the range straddles the limit. No date at all: time-limited with an
    unknown re-check date.
    """
    dates = _date_range(value)
    if dates is None:
        return Finding(NOT_MET_UNTIL, say("{what}; the patient could not say when.", what=what))
    earliest, latest = dates
    when = _describe_range(earliest, latest)
    if latest + wait <= today:
        return Finding(MET, say("{what} {when}, long enough ago.", what=what, when=when))
    if earliest + wait > today:
        return Finding(
            NOT_MET_UNTIL, say("{what} {when}, too recent.", what=what, when=when), latest + wait
        )
    return Finding(
        UNKNOWN, say("{what} {when}: may or may not be long enough ago.", what=what, when=when)
    )


# --- the rules -----------------------------------------------------------------------------


def age_between(ctx: RuleContext) -> Finding:
    age = ctx.value("age")
    low, high = ctx.params["min_years"], ctx.params["max_years"]
    if _is_unsure(age):
        return Finding(UNKNOWN, say("Age not given."))
    youngest, oldest = (age["min_years"], age["max_years"]) if isinstance(age, dict) else (age, age)
    said = (
        say("Age {age}", age=youngest)
        if youngest == oldest
        else say("Age {youngest} or {oldest}", youngest=youngest, oldest=oldest)
    )
    if oldest < low:
        return Finding(NOT_MET, say("{said}: under {low}.", said=said, low=low))
    if youngest > high:
        return Finding(NOT_MET, say("{said}: over {high}.", said=said, high=high))
    if youngest >= low and oldest <= high:
        return Finding(MET, say("{said}: within {low}-{high}.", said=said, low=low, high=high))
    return Finding(
        UNKNOWN,
        say(
            "{said} (from the date of birth): on the {low}-{high} boundary.",
            said=said,
            low=low,
            high=high,
        ),
    )


def sle_diagnosis(ctx: RuleContext) -> Finding:
    value = ctx.value("sle_diagnosis")
    findings = {
        "yes": Finding(MET, say("Says a doctor diagnosed systemic lupus.")),
        "no": Finding(NOT_MET, say("Says no doctor diagnosed systemic lupus.")),
        "skin_only": Finding(NOT_MET, say("Skin (cutaneous/discoid) lupus only, not SLE.")),
        "drug_induced": Finding(NOT_MET, say("Drug-induced lupus, not SLE.")),
    }
    return _by_answer(value, findings, say("Not sure whether the diagnosis is SLE."))


def diagnosed_long_enough(ctx: RuleContext) -> Finding:
    value = ctx.value("sle_duration")
    if _is_unsure(value):
        return Finding(UNKNOWN, say("Does not know when lupus was diagnosed."))
    months = ctx.params["min_months"]
    finding = washout(value, relativedelta(months=months), ctx.today, say("Diagnosed"))
    if finding.status == NOT_MET_UNTIL:
        needs = say("Needs {months} months.", months=months)
        return Finding(NOT_MET_UNTIL, said_together(finding.reason, needs), finding.until)
    return finding


def on_standard_treatment(ctx: RuleContext) -> Finding:
    value = ctx.value("current_medicines")
    if _is_unsure(value):
        return Finding(UNKNOWN, say("Not sure which lupus medicines they take."))
    medicines = _medicine_ids(value)
    standard = [
        m for m in medicines if ctx.lexicon.medicine(m).drug_class in ctx.params["standard_classes"]
    ]
    if standard:
        names = _names(ctx.lexicon, standard)
        return Finding(MET, say("Standard treatment now: {names}.", names=names))
    if _incomplete(value):
        return Finding(
            UNKNOWN, say("Others they could not name; no standard treatment among those named.")
        )
    names = _names(ctx.lexicon, medicines)
    return Finding(NOT_MET, say("No standard lupus treatment now ({names}).", names=names))


_CHANGED = ("no", "dose_changed", "new_medicine")


def _change_kind(ctx: RuleContext) -> str | None:
    """ "dose_changed" when the only change named is a dose change, "new_medicine" when a
    medicine was started, stopped or switched (in either answer), None when not said."""
    said = {ctx.value("treatment_stable")}
    change = ctx.value("treatment_change")
    if isinstance(change, dict):
        said.add(change.get("change"))
    if "new_medicine" in said:
        return "new_medicine"
    if "dose_changed" in said:
        return "dose_changed"
    return None


def treatment_stable(ctx: RuleContext) -> Finding:
    """I2: same medicines for 8 weeks, and no dose change in the last 2 weeks. A dose change
    alone waits 2 weeks; a new medicine, or a change of unknown kind, waits 8 weeks."""
    value = ctx.value("treatment_stable")
    if value == "yes":
        return Finding(MET, say("Same medicines for 8+ weeks, no dose change in 2 weeks."))
    if value not in _CHANGED:
        return Finding(UNKNOWN, say("Not sure whether treatment has been stable."))
    dose_weeks = ctx.params["stable_dose_weeks"]
    medicine_weeks = ctx.params["same_medicines_weeks"]
    kind = _change_kind(ctx)
    change = ctx.value("treatment_change")
    if kind == "dose_changed":
        last_change = say("Last dose change")
        finding = washout(change, relativedelta(weeks=dose_weeks), ctx.today, last_change)
        if finding.status == NOT_MET_UNTIL:
            recheck = say(
                "A dose change only (no new medicine): re-check {weeks} weeks after it.",
                weeks=dose_weeks,
            )
            return Finding(NOT_MET_UNTIL, said_together(finding.reason, recheck), finding.until)
        if finding.status == MET:
            only = say(
                "A dose change only, more than {weeks} weeks ago; same medicines otherwise.",
                weeks=dose_weeks,
            )
            return Finding(MET, said_together(finding.reason, only))
        return finding
    what = say("New medicine") if kind == "new_medicine" else say("Last medicine or dose change")
    finding = washout(change, relativedelta(weeks=medicine_weeks), ctx.today, what)
    if finding.status == MET:  # "the last change was in September": stable since
        return finding
    if finding.status == NOT_MET_UNTIL:
        pieces = [finding.reason]
        if not kind:
            pieces.append(say("(not said whether a new medicine or a dose change)"))
        pieces.append(
            say(
                "Re-check {weeks} weeks after the change (covers the {dose_weeks}-week dose "
                "rule too).",
                weeks=medicine_weeks,
                dose_weeks=dose_weeks,
            )
        )
        return Finding(NOT_MET_UNTIL, said_together(*pieces), finding.until)
    return finding


def disease_active(ctx: RuleContext) -> Finding:
    return _yes_no_rule(
        ctx.value("disease_active"),
        yes=Finding(MET, say("Lupus still active or flaring despite treatment.")),
        no=Finding(NOT_MET, say("Says lupus is well controlled.")),
        what=say("whether lupus is still active"),
    )


def steroid_dose(ctx: RuleContext) -> Finding:
    """I3: prednisone-equivalent dose, with the immunosuppressant exception."""
    current = ctx.value("current_medicines")
    if _is_unsure(current):
        return Finding(
            UNKNOWN, say("Current medicines unknown, so the steroid rule can't be checked.")
        )
    medicines = _medicine_ids(current)
    classes = _classes(ctx.lexicon, medicines)
    low, high = ctx.params["min_mg"], ctx.params["max_mg"]
    prednisone_mg = 0.0
    if "corticosteroid" in classes:
        dose = ctx.value("steroid_dose")
        if _is_unsure(dose):
            return Finding(UNKNOWN, say("Takes a steroid but does not know the daily dose."))
        if isinstance(dose, dict):
            steroid = dose.get("medicine") or next(
                m for m in medicines if ctx.lexicon.medicine(m).drug_class == "corticosteroid"
            )
            converted = ctx.lexicon.prednisone_mg(steroid, float(dose["mg_per_day"]))
            if converted is None:
                return Finding(
                    UNKNOWN,
                    say("Dose given for {steroid}, which is not a steroid.", steroid=steroid),
                )
            prednisone_mg = round(converted, 2)
            stated = say(
                "{mg:g} mg/day {name} = {prednisone:g} mg/day prednisone-equivalent",
                mg=float(dose["mg_per_day"]),
                name=ctx.lexicon.medicine(steroid).name,
                prednisone=prednisone_mg,
            )
        else:
            stated = say("says they no longer take the steroid")
    else:
        stated = say("no steroid")
    if prednisone_mg > high:
        return Finding(NOT_MET, say("{stated}: above {high:g}.", stated=stated, high=high))
    if prednisone_mg >= low:
        return Finding(
            MET, say("{stated}: within {low:g}-{high:g}.", stated=stated, low=low, high=high)
        )
    if "immunosuppressant" in classes:
        return Finding(
            MET,
            say(
                "{stated}: below {low:g}, allowed with an immunosuppressant.",
                stated=stated,
                low=low,
            ),
        )
    if classes & {"antimalarial", "targeted"}:
        return Finding(
            UNKNOWN,
            say(
                "{stated}: below {low:g} with only an antimalarial or targeted drug beside it; "
                "the protocol wording is ambiguous, coordinator decides.",
                stated=stated,
                low=low,
            ),
        )
    return Finding(
        NOT_MET, say("{stated}: below {low:g} and no immunosuppressant.", stated=stated, low=low)
    )


def immunosuppressant_history(ctx: RuleContext) -> Finding:
    history = ctx.value("immunosuppressant_history")
    drugs = _i4_drugs(ctx.lexicon, _ever_ids(ctx.value("current_medicines")))
    drugs |= _i4_drugs(ctx.lexicon, _ever_ids(history))
    needed = ctx.params["min_drugs"]
    listed = said_list(sorted(drugs))
    if len(drugs) >= needed:
        return Finding(
            MET,
            say("Has used {count} immunosuppressants: {listed}.", count=len(drugs), listed=listed),
        )
    unsure = _is_unsure(history) or _incomplete(history)
    if unsure and "immunosuppressant_history" in ctx.answers:
        return Finding(UNKNOWN, say("Not sure which were used; known: {listed}.", listed=listed))
    return Finding(
        NOT_MET,
        say(
            "Used {count} of the {needed} needed: {listed}.",
            count=len(drugs),
            needed=needed,
            listed=listed,
        ),
    )


def _by_answer(value: Any, findings: dict[str, Finding], otherwise: Said) -> Finding:
    """The finding listed for this answer; anything else (not sure) is unknown."""
    return findings.get(value, Finding(UNKNOWN, otherwise))


def lab_markers(ctx: RuleContext) -> Finding:
    findings = {
        "yes": Finding(MET, say("Told ANA/anti-dsDNA positive or complement low.")),
        "all_negative": Finding(
            NOT_MET, say("Says ANA, anti-dsDNA and complement were all normal.")
        ),
        "no": Finding(
            UNKNOWN, say("Not told of a positive test; unclear whether all were tested.")
        ),
    }
    return _by_answer(ctx.value("lab_markers"), findings, say("Does not know these results."))


def disease_activity_score(ctx: RuleContext) -> Finding:
    value = ctx.value("disease_activity_score")
    if isinstance(value, dict):
        items = said_list([ctx.lexicon.sledai[i].name for i in value["items"]])
        reaches = (
            value["points"] >= ctx.params["min_total"]
            and value["clinical_points"] >= ctx.params["min_clinical"]
        )
        found = {
            "points": value["points"],
            "clinical": value["clinical_points"],
            "items": items,
            "min_total": ctx.params["min_total"],
            "min_clinical": ctx.params["min_clinical"],
        }
        if reaches:
            estimate = say(
                "Patient-reported SLEDAI-2K estimate {points} ({clinical} clinical) from: "
                "{items}; reaches {min_total} ({min_clinical} clinical). Triage hint only, "
                "score at screening.",
                **found,
            )
        else:
            estimate = say(
                "Patient-reported SLEDAI-2K estimate {points} ({clinical} clinical) from: "
                "{items}; below {min_total} ({min_clinical} clinical). Triage hint only, "
                "score at screening.",
                **found,
            )
        return Finding(UNKNOWN, estimate)
    if value == "skipped":
        return Finding(UNKNOWN, say("Symptom checklist skipped."))
    return Finding(UNKNOWN, say("Symptoms not known."))


_ORGAN_PROBLEMS = {
    "kidney_failure": say("kidney failure"),
    "liver_disease": say("liver disease"),
    "heart_failure": say("heart failure"),
    "oxygen": say("oxygen"),
    "transfusion": say("transfusion"),
}


def organ_function(ctx: RuleContext) -> Finding:
    value = ctx.value("organ_function")
    if not isinstance(value, dict):
        return Finding(UNKNOWN, say("Not sure about organ problems."))
    if value.get("dialysis"):
        return Finding(NOT_MET, say("On dialysis."))
    problems = [
        _ORGAN_PROBLEMS[name]
        for name in ("kidney_failure", "liver_disease", "heart_failure", "oxygen", "transfusion")
        if value.get(name)
    ]
    if problems:
        return Finding(
            UNKNOWN, say("Reports: {problems}. Check labs.", problems=said_list(problems))
        )
    return Finding(MET, say("Reports none of the listed organ problems."))


def not_pregnant(ctx: RuleContext) -> Finding:
    findings = {
        "yes": Finding(NOT_MET, say("Pregnant or breastfeeding now.")),
        "no": Finding(MET, say("Not pregnant or breastfeeding.")),
        "not_applicable": Finding(MET, say("Says pregnancy does not apply to them.")),
    }
    return _by_answer(ctx.value("pregnancy"), findings, say("Not sure whether pregnant."))


def contraception(ctx: RuleContext) -> Finding:
    findings = {
        "yes": Finding(MET, say("Willing to use birth control for 12 months.")),
        "no": Finding(NOT_MET, say("Not willing to use birth control for 12 months.")),
        # "Does not apply" (after menopause, sterilised) is met, confirmed by the coordinator.
        "not_applicable": Finding(
            MET, say("Says birth control does not apply to them; confirm."), confirm=True
        ),
    }
    return _by_answer(
        ctx.value("contraception"), findings, say("Not sure about using birth control.")
    )


_INFECTIONS = {
    "hiv": say("HIV"),
    "syphilis": say("syphilis"),
    "hepatitis_b": say("hepatitis B"),
    "hepatitis_c": say("hepatitis C"),
    "cmv": say("CMV"),
}
_INFECTION_STATES = {"past": say("past"), "unclear": say("unclear")}


def viral_infections(ctx: RuleContext) -> Finding:
    value = ctx.value("viral_infections")
    if not isinstance(value, dict):
        return Finding(UNKNOWN, say("Not sure about hepatitis B/C, HIV, syphilis, CMV."))
    failing = [_INFECTIONS[name] for name in ("hiv", "syphilis") if value.get(name)]
    failing += [
        say("active {infection}", infection=_INFECTIONS[name])
        for name in ("hepatitis_b", "hepatitis_c", "cmv")
        if value.get(name) == "active"
    ]
    if failing:
        return Finding(NOT_MET, say("Reports {infections}.", infections=said_list(failing)))
    unclear = [
        say(
            "{infection} ({state})",
            infection=_INFECTIONS[name],
            state=_INFECTION_STATES[value[name]],
        )
        for name in ("hepatitis_b", "hepatitis_c")
        if value.get(name) in ("past", "unclear")
    ]
    if unclear:
        return Finding(
            UNKNOWN, say("Reports {infections}: check serology.", infections=said_list(unclear))
        )
    if value.get("cmv") == "past":
        return Finding(MET, say("Past CMV only; no listed infection now."))
    return Finding(MET, say("No hepatitis B/C, HIV, syphilis or active CMV reported."))


def active_infection(ctx: RuleContext) -> Finding:
    return _yes_no_rule(
        ctx.value("active_infection"),
        yes=Finding(NOT_MET_UNTIL, say("Infection being treated now; re-check once treated.")),
        no=Finding(MET, say("No infection being treated now.")),
        what=say("a current infection"),
    )


def transplant(ctx: RuleContext) -> Finding:
    value = ctx.value("transplant")
    if value == "minor_only":
        return Finding(
            MET, say("Cornea/skin/bone graft only, not a major organ or marrow; confirm.")
        )
    return _yes_no_rule(
        value,
        yes=Finding(NOT_MET, say("Has had an organ or bone-marrow/stem-cell transplant.")),
        no=Finding(MET, say("No transplant.")),
        what=say("a transplant"),
    )


def _vaccine_value(ctx: RuleContext, question_id: str) -> dict[str, Any]:
    value = ctx.value(question_id)
    return value if isinstance(value, dict) else {}


def _e5_products(ctx: RuleContext) -> tuple[list[str], list[str]]:
    """Vaccine products named for E5 (the first answer and the "which one?" follow-up), and
    what is still of unknown type: "a COVID-19 vaccine", "an RSV vaccine"."""
    first = _vaccine_value(ctx, "mrna_lnp")
    follow_up = _vaccine_value(ctx, "covid_vaccine_type")
    named_first = list(first.get("products", []))
    named_later = list(follow_up.get("products", []))
    products = [*named_first, *(p for p in named_later if p not in named_first)]
    unresolved = []
    covid_named_later = any(ctx.lexicon.vaccine(p).covid for p in named_later)
    if (first.get("generic_covid") and not covid_named_later) or follow_up.get("generic_covid"):
        unresolved.append(say("a COVID-19 vaccine"))
    other_named_later = any(
        not ctx.lexicon.vaccine(p).covid and ctx.lexicon.vaccine(p).kind != "unknown_mrna"
        for p in named_later
    )
    for product in products:
        vaccine = ctx.lexicon.vaccine(product)
        resolved = product in named_first and other_named_later
        if vaccine.kind == "unknown_mrna" and not resolved:
            unresolved.append(vaccine.name)
    return products, unresolved


def mrna_lnp(ctx: RuleContext) -> Finding:
    first = ctx.value("mrna_lnp")
    if _is_unsure(first):
        return Finding(UNKNOWN, say("Not sure about mRNA vaccines or LNP medicines in 2 years."))
    products, unresolved = _e5_products(ctx)
    mrna = [p for p in products if ctx.lexicon.vaccine(p).kind == "mrna_lnp"]
    if mrna:
        names = said_list([ctx.lexicon.vaccine(p).name for p in mrna])
        when = ctx.value("mrna_lnp_when")
        years = ctx.params["washout_years"]
        what = say("{names} (mRNA-LNP)", names=names)
        return washout(when, relativedelta(years=years), ctx.today, what)
    if unresolved:
        return Finding(
            UNKNOWN,
            say(
                "{products} of unknown type (mRNA or not) within 2 years.",
                products=said_list(unresolved),
            ),
        )
    named = [p for p in products if ctx.lexicon.vaccine(p).kind != "unknown_mrna"]
    if named:
        names = said_list([ctx.lexicon.vaccine(p).name for p in named])
        return Finding(MET, say("Only non-mRNA products: {names}.", names=names))
    return Finding(MET, say("No mRNA vaccine or LNP medicine in 2 years."))


def cardiac_events(ctx: RuleContext) -> Finding:
    answer = ctx.value("cardiac_events")
    months = ctx.params["washout_months"]
    if answer == "no":
        return Finding(MET, say("No serious heart event in {months} months.", months=months))
    if answer != "yes":
        return Finding(UNKNOWN, say("Not sure about recent heart events."))
    return washout(
        ctx.value("cardiac_events_when"),
        relativedelta(months=months),
        ctx.today,
        say("Serious heart event"),
    )


# A flu vaccine of unnamed form may be the live nasal spray: the follow-up asks which.
UNNAMED_FLU = "flu_unspecified"


def live_vaccine(ctx: RuleContext) -> Finding:
    value = ctx.value("live_vaccine")
    if _is_unsure(value):
        return Finding(UNKNOWN, say("Not sure about vaccines in the last 30 days."))
    products = list(_vaccine_value(ctx, "live_vaccine").get("products", []))
    flu_form = _vaccine_value(ctx, "flu_vaccine_type").get("products", [])
    if UNNAMED_FLU in products and flu_form:
        products = [p for p in products if p != UNNAMED_FLU]
        products += [p for p in flu_form if p not in products]
    kinds = {p: ctx.lexicon.vaccine(p).kind for p in products}
    live = [p for p, kind in kinds.items() if kind == "live"]
    if live:
        names = said_list([ctx.lexicon.vaccine(p).name for p in live])
        wait = relativedelta(days=ctx.params["washout_days"])
        what = say("Live vaccine {names}", names=names)
        return washout(ctx.value("live_vaccine_when"), wait, ctx.today, what)
    unclear = [p for p, kind in kinds.items() if kind not in ("mrna_lnp", "other", "unknown_mrna")]
    if unclear:
        names = said_list([ctx.lexicon.vaccine(p).name for p in unclear])
        return Finding(UNKNOWN, say("{names}: could be a live vaccine; check which.", names=names))
    if products or (isinstance(value, dict) and value.get("generic_covid")):
        names = said_list(
            [ctx.lexicon.vaccine(p).name for p in products], empty=say("COVID-19 shot")
        )
        return Finding(MET, say("Only non-live vaccines in 30 days: {names}.", names=names))
    return Finding(MET, say("No vaccine in the last 30 days."))


def asthma_allergy(ctx: RuleContext) -> Finding:
    value = ctx.value("asthma_allergy")
    if value == "hay_fever_only":
        return Finding(MET, say("Mild hay fever only."))
    if value == "mild_allergy":
        return Finding(MET, say("A mild allergic reaction only (no severe reaction named)."))
    return _yes_no_rule(
        value,
        yes=Finding(NOT_MET, say("Has asthma or a severe allergy.")),
        no=Finding(MET, say("No asthma or severe allergy.")),
        what=say("asthma or severe allergy"),
    )


def information_only(ctx: RuleContext) -> Finding:
    value = ctx.value("travel")
    said = {"yes": say("yes"), "no": say("no")}.get(value) or say("not sure")
    return Finding(INFORMATION, say("Able to travel to Hefei for visits: {said}.", said=said))


@dataclass(frozen=True)
class Rule:
    """A rule function and the parameters the trial definition must give it."""

    judge: Callable[[RuleContext], Finding]
    params: frozenset[str] = frozenset()


RULES: dict[str, Rule] = {
    "age_between": Rule(age_between, frozenset({"min_years", "max_years"})),
    "sle_diagnosis": Rule(sle_diagnosis),
    "diagnosed_long_enough": Rule(diagnosed_long_enough, frozenset({"min_months"})),
    "on_standard_treatment": Rule(on_standard_treatment, frozenset({"standard_classes"})),
    "treatment_stable": Rule(
        treatment_stable, frozenset({"same_medicines_weeks", "stable_dose_weeks"})
    ),
    "disease_active": Rule(disease_active),
    "steroid_dose": Rule(steroid_dose, frozenset({"min_mg", "max_mg"})),
    "immunosuppressant_history": Rule(immunosuppressant_history, frozenset({"min_drugs"})),
    "lab_markers": Rule(lab_markers),
    "disease_activity_score": Rule(
        disease_activity_score, frozenset({"min_total", "min_clinical"})
    ),
    "organ_function": Rule(organ_function),
    "not_pregnant": Rule(not_pregnant),
    "contraception": Rule(contraception),
    "viral_infections": Rule(viral_infections),
    "active_infection": Rule(active_infection),
    "transplant": Rule(transplant),
    "mrna_lnp": Rule(mrna_lnp, frozenset({"washout_years"})),
    "cardiac_events": Rule(cardiac_events, frozenset({"washout_months"})),
    "live_vaccine": Rule(live_vaccine, frozenset({"washout_days"})),
    "asthma_allergy": Rule(asthma_allergy),
    "information_only": Rule(information_only),
}


# --- skip logic: predicates on one earlier answer -------------------------------------------


def _has_class(drug_class: str) -> Callable[[Any, Lexicon], bool]:
    def predicate(value: Any, lexicon: Lexicon) -> bool:
        return drug_class in _classes(lexicon, _medicine_ids(value))

    return predicate


def _fewer_than_two_i4_drugs(value: Any, lexicon: Lexicon) -> bool:
    return len(_i4_drugs(lexicon, _medicine_ids(value))) < 2


def _vaccine_kind(kind: str) -> Callable[[Any, Lexicon], bool]:
    def predicate(value: Any, lexicon: Lexicon) -> bool:
        products = value.get("products", []) if isinstance(value, dict) else []
        return any(lexicon.vaccine(p).kind == kind for p in products)

    return predicate


def _unnamed_covid(value: Any, lexicon: Lexicon) -> bool:
    """A COVID-19 shot named only in general, beside no named COVID-19 product of its own
    ("the covid shot"; "Sinovac, then a covid booster": the booster)."""
    return isinstance(value, dict) and bool(value.get("generic_covid"))


def _unnamed_covid_or_rsv(value: Any, lexicon: Lexicon) -> bool:
    """An unnamed COVID-19 shot, or an RSV vaccine of unnamed type (mRNA or not)."""
    products = value.get("products", []) if isinstance(value, dict) else []
    unnamed_rsv = any(lexicon.vaccine(p).kind == "unknown_mrna" for p in products)
    return _unnamed_covid(value, lexicon) or unnamed_rsv


def _unnamed_flu(value: Any, lexicon: Lexicon) -> bool:
    products = value.get("products", []) if isinstance(value, dict) else []
    return UNNAMED_FLU in products


PREDICATES: dict[str, Callable[[Any, Lexicon], bool]] = {
    "yes": lambda value, _lexicon: value == "yes",
    "no": lambda value, _lexicon: value == "no",
    "changed": lambda value, _lexicon: value in _CHANGED,
    "has_corticosteroid": _has_class("corticosteroid"),
    "fewer_than_two_i4_drugs": _fewer_than_two_i4_drugs,
    "unnamed_covid": _unnamed_covid,
    "unnamed_covid_or_rsv": _unnamed_covid_or_rsv,
    "unnamed_flu": _unnamed_flu,
    "has_mrna_lnp": _vaccine_kind("mrna_lnp"),
    "has_live": _vaccine_kind("live"),
}
