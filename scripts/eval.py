"""`make eval`: realistic patient conversations against the real running stack.

Every conversation in tests/eval/*.yml is played over Rasa's REST channel as a patient would type
it. The driver never reads the bot's wording: it follows only the custom payloads the actions send
(`{"data": {"question": id, ...}}` after every asking message, `{"data": {"outcome": ...}}` after
the outcome). It prints a report, not a test result:

- accuracy: conversations that reached the expected outcome / all conversations
- conversations told "likely eligible" wrongly (the costly mistake), by name
- conversations with no outcome (a loop, stuck, an error, ended early), by name
- the median number of patient messages to the outcome (greeting, consent and read-back
  confirmations included)
- for each wrong conversation, its last turns, so a developer can see what went wrong

Exit code 0 unless the stack fails to start. Options: `--names SUBSTR` (a subset), `--jobs N`
(conversations played at once, threads), `--out FILE` (the full report with every failing
transcript), `--url URL` (talk to a stack that is already running instead of starting one),
`--files NAME...` (only these files), `--offline` (parsers and engine only: a quick check, not
the measurement).

How a conversation answers (see tests/eval/README in the YAML headers):
- `answers[qid]` is a string, or a list: the first answer, then what to say each time the same
  question is asked again. A question asked more than len(list) + 1 times (+1 more when a
  digression was sent for it) is a loop: "no outcome (loop at <id>)".
- A question the conversation has no answer for is answered from DEFAULT_PROFILE, an
  "everything is fine" patient with several plain phrasings per question (picked per
  conversation, so the set does not repeat one sentence 160 times).
- `readback[about]` is the reply to the read-back of question `about` (default "yes").
- `digress[qid]` is sent once, the first time `qid` is asked, before its answer.
- `language: zh` makes the unanswered questions, the greeting, the consent and the read-backs
  Chinese (CHINESE_PROFILE); the bot is told nothing else and detects the language itself.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.eligibility import LIKELY_ELIGIBLE, OUTCOMES  # noqa: E402 (after the path is set)
from bot.trial import load_trial  # noqa: E402
from scripts.patients import post  # noqa: E402

EVAL_DIR = ROOT / "tests" / "eval"
QUESTION_IDS = frozenset(question.id for question in load_trial().questions)
MAX_PATIENT_MESSAGES = 60
TRANSCRIPT_TAIL_TURNS = 6

# An "everything fine" patient: each question has plain phrasings; one is picked per
# conversation (by a hash of its name), the first is what is said if the question is re-asked.
# Follow-up questions that only a "yes" opens (treatment_change, *_when, covid_vaccine_type) get
# "not sure": a conversation that opens them must say its own answer.
DEFAULT_PROFILE: dict[str, list[str]] = {
    "age": ["41", "I'm 36", "forty five", "29 years old", "52"],
    "sle_diagnosis": ["yes", "yes, SLE", "yes my rheumatologist did", "yep"],
    "sle_duration": ["in 2018", "about 5 years ago", "2016", "back in 2020", "8 years ago"],
    "disease_active": ["yes", "yes still flaring", "yes it keeps flaring up", "yeah still active"],
    "transplant": ["no", "never", "nope", "no never"],
    "pregnancy": ["no", "not pregnant, not breastfeeding", "nope", "no"],
    "current_medicines": [
        "plaquenil and prednisone",
        "hydroxychloroquine and prednisone",
        "Plaquenil, prednisone",
    ],
    "steroid_dose": ["10 mg a day", "10mg every day", "10 mg daily"],
    "immunosuppressant_history": [
        "plaquenil and cellcept",
        "hydroxychloroquine and mycophenolate",
        "Plaquenil, CellCept",
    ],
    "treatment_stable": ["yes", "yes nothing changed", "yes same for months", "yep"],
    "treatment_change": ["not sure"],
    "viral_infections": ["no", "none of those", "no never", "nope"],
    "asthma_allergy": ["no", "no asthma, no allergies", "nope", "no"],
    "active_infection": ["no", "no infections", "nope", "no"],
    "cardiac_events": ["no", "no heart problems", "nope", "no"],
    "cardiac_events_when": ["not sure"],
    "mrna_lnp": ["no", "no vaccines in the last 2 years", "nope", "no"],
    "covid_vaccine_type": ["not sure"],
    "mrna_lnp_when": ["not sure"],
    "live_vaccine": ["no", "no vaccines recently", "nope", "no"],
    "live_vaccine_when": ["not sure"],
    "organ_function": ["none of these", "none", "no, none of those", "no"],
    "lab_markers": ["yes", "yes my ANA was positive", "yes, positive ANA", "yes"],
    "contraception": ["yes", "yes that's fine", "sure", "yes"],
    "disease_activity_score": ["skip", "rash and swollen joints", "hair loss and joint pain"],
    "travel": ["yes", "yes I can", "sure", "yes"],
}
# The same patient, in Chinese.
CHINESE_PROFILE: dict[str, list[str]] = {
    "age": ["41", "我今年36岁", "四十五岁", "29岁", "52"],
    "sle_diagnosis": ["是", "是的，系统性红斑狼疮", "是，风湿科医生确诊的", "对"],
    "sle_duration": ["2018年", "大概5年前", "2016年确诊的", "2020年", "8年前"],
    "disease_active": ["是", "是的，还在反复", "还在活动", "对，一直没控制住"],
    "transplant": ["没有", "从来没有", "没", "没有做过"],
    "pregnancy": ["没有", "没怀孕，也没哺乳", "没", "没有"],
    "current_medicines": ["羟氯喹和泼尼松", "硫酸羟氯喹、强的松", "纷乐和泼尼松"],
    "steroid_dose": ["每天10毫克", "一天10mg", "每日10毫克"],
    "immunosuppressant_history": ["羟氯喹和吗替麦考酚酯", "纷乐、骁悉", "羟氯喹，霉酚酸酯"],
    "treatment_stable": ["是", "是的，没变过", "几个月都一样", "对"],
    "treatment_change": ["不确定"],
    "viral_infections": ["没有", "都没有", "从来没有", "没"],
    "asthma_allergy": ["没有", "没有哮喘，也不过敏", "没", "没有"],
    "active_infection": ["没有", "没有感染", "没", "没有"],
    "cardiac_events": ["没有", "心脏没问题", "没", "没有"],
    "cardiac_events_when": ["不确定"],
    "mrna_lnp": ["没有", "两年内没打过疫苗", "没", "没有"],
    "covid_vaccine_type": ["不确定"],
    "mrna_lnp_when": ["不确定"],
    "live_vaccine": ["没有", "最近没打疫苗", "没", "没有"],
    "live_vaccine_when": ["不确定"],
    "organ_function": ["都没有", "没有", "这些都没有", "没"],
    "lab_markers": ["是", "是的，抗核抗体阳性", "ANA阳性", "对"],
    "contraception": ["愿意", "可以", "好的", "愿意"],
    "disease_activity_score": ["跳过", "皮疹和关节肿", "掉头发和关节痛"],
    "travel": ["可以", "能去", "可以，没问题", "可以"],
}
PROFILES = {"en": DEFAULT_PROFILE, "zh": CHINESE_PROFILE}
# Steps that are not trial questions, but can be open before the outcome.
CONTROL_DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "hi",
        "consent": "yes",
        "readback": "yes",
        "no": "no",
        "stop_confirm": "no, I want to continue",
        "delete_confirm": "no",
    },
    "zh": {
        "greeting": "你好",
        "consent": "同意",
        "readback": "对",
        "no": "没有",
        "stop_confirm": "不，我要继续",
        "delete_confirm": "不要",
    },
}
CONTROL_STEPS = ("stop_confirm", "delete_confirm")


@dataclass
class Conversation:
    name: str
    expect: str
    tests: list[str]
    answers: dict[str, list[str]]
    greeting: str = "hi"
    consent: list[str] = field(default_factory=lambda: ["yes"])
    language: str = "en"
    readback: dict[str, list[str]] = field(default_factory=dict)
    digress: dict[str, str] = field(default_factory=dict)
    why: str = ""
    file: str = ""


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def load_conversations(directory: Path = EVAL_DIR) -> list[Conversation]:
    """Every conversation of every tests/eval/*.yml, in file order."""
    conversations = []
    for file in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for raw in data.get("conversations") or []:
            language = str(raw.get("language", "en"))
            controls = CONTROL_DEFAULTS[language]
            conversations.append(
                Conversation(
                    name=str(raw["name"]),
                    expect=str(raw["expect"]),
                    tests=[str(item) for item in raw.get("tests") or []],
                    answers={
                        str(key): as_list(value)
                        for key, value in (raw.get("answers") or {}).items()
                    },
                    greeting=str(raw.get("greeting", controls["greeting"])),
                    consent=as_list(raw.get("consent", controls["consent"])),
                    language=language,
                    readback={
                        str(key): as_list(value)
                        for key, value in (raw.get("readback") or {}).items()
                    },
                    digress={str(k): str(v) for k, v in (raw.get("digress") or {}).items()},
                    why=str(raw.get("why", "")),
                    file=file.name,
                )
            )
    return conversations


def default_answers(conversation_name: str, question_id: str, language: str = "en") -> list[str]:
    """The default profile's answers: a phrasing picked by the name, then the plain one."""
    variants = PROFILES[language].get(question_id)
    if not variants:
        controls = CONTROL_DEFAULTS[language]
        return [controls.get(question_id, controls["no"])]
    digest = hashlib.sha256(f"{conversation_name}/{question_id}".encode()).digest()
    first = variants[digest[0] % len(variants)]
    return [first] if first == variants[0] else [first, variants[0]]


@dataclass
class DriverState:
    """What the driver remembers of one conversation: how often each step was asked."""

    asked: dict[str, int] = field(default_factory=dict)
    digressed: set[str] = field(default_factory=set)
    patient_messages: int = 0


@dataclass
class Decision:
    """`send` a text, or stop with an `outcome`, or stop with `no_outcome` (the reason)."""

    send: str | None = None
    outcome: str | None = None
    no_outcome: str | None = None


def payloads(replies: list[dict]) -> list[dict]:
    """The `data` dicts of the custom messages, in order."""
    found = []
    for message in replies:
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("data"), dict):
            found.append(custom["data"])
    return found


def decide(conversation: Conversation, replies: list[dict], state: DriverState) -> Decision:
    """What the patient does next, given the bot's messages for the last patient message.

    Pure except for `state`, which it updates (ask counts, digressions sent). Only payloads
    decide: an outcome ends the conversation; the last open question is answered.
    """
    data = payloads(replies)
    for item in data:
        if item.get("outcome"):
            return Decision(outcome=str(item["outcome"]))
    questions = [item for item in data if item.get("question")]
    if not questions:
        if not replies:
            return Decision(no_outcome="error: no reply")
        if any(item.get("conversation_ended") for item in data):
            return Decision(no_outcome="ended without an outcome")
        return Decision(no_outcome="stuck: no question open")
    if state.patient_messages >= MAX_PATIENT_MESSAGES:
        return Decision(no_outcome=f"over {MAX_PATIENT_MESSAGES} messages")
    open_step = questions[-1]
    question_id = str(open_step["question"])
    controls = CONTROL_DEFAULTS[conversation.language]
    if question_id == "readback":
        about = str(open_step.get("about", ""))
        key = f"readback:{about}"
        options = conversation.readback.get(about) or [controls["readback"]]
    elif question_id == "consent":
        key = "consent"
        options = conversation.consent or [controls["consent"]]
    elif question_id in conversation.answers:
        key = question_id
        options = conversation.answers[question_id]
    elif question_id in CONTROL_STEPS:
        key = question_id
        options = [controls[question_id]]
    else:
        key = question_id
        options = default_answers(conversation.name, question_id, conversation.language)
    count = state.asked.get(key, 0) + 1
    state.asked[key] = count
    digress = conversation.digress.get(question_id)
    if digress is not None and question_id not in state.digressed:
        state.digressed.add(question_id)
        return Decision(send=digress)
    allowed = len(options) + 1 + (1 if question_id in state.digressed else 0)
    if count > allowed:
        return Decision(no_outcome=f"loop at {key}")
    answered_before = count - 1 - (1 if question_id in state.digressed else 0)
    index = min(max(answered_before, 0), len(options) - 1)
    return Decision(send=options[index])


def bot_lines(replies: list[dict]) -> list[str]:
    """The bot's messages as a person sees them, with the payloads in brackets."""
    lines = []
    for message in replies:
        if message.get("text"):
            buttons = " ".join(f"[{b.get('title')}]" for b in message.get("buttons") or [])
            lines.append(f"bot: {message['text']}" + (f" {buttons}" if buttons else ""))
        data = (message.get("custom") or {}).get("data") if message.get("custom") else None
        if isinstance(data, dict):
            lines.append(f"     {json.dumps(data, ensure_ascii=False)}")
    return lines


@dataclass
class Result:
    conversation: Conversation
    outcome: str | None = None
    no_outcome: str | None = None
    patient_messages: int = 0
    turns: list[tuple[str, list[dict]]] = field(default_factory=list)
    seconds: float = 0.0
    asked: dict[str, int] = field(default_factory=dict)

    @property
    def reasked(self) -> str:
        """Steps the bot asked more than once ("disease_active x2"): where it went wrong."""
        return ", ".join(f"{key} x{count}" for key, count in self.asked.items() if count > 1)

    @property
    def right(self) -> bool:
        return self.outcome == self.conversation.expect

    def transcript(self, last: int | None = None) -> str:
        turns = self.turns if last is None else self.turns[-last:]
        lines = []
        if last is not None and len(self.turns) > last:
            lines.append(f"  ... ({len(self.turns) - last} earlier turns)")
        for text, replies in turns:
            lines.append(f"  patient: {text}")
            lines.extend(f"    {line}" for line in bot_lines(replies))
        return "\n".join(lines)


def play(url: str, conversation: Conversation) -> Result:
    """One whole conversation over REST, from the greeting to the outcome (or the failure)."""
    result = Result(conversation)
    started = time.monotonic()
    sender = f"eval-{uuid.uuid4().hex}"
    state = DriverState()
    text = conversation.greeting
    while True:
        state.patient_messages += 1
        try:
            replies = post(url, sender, text)
        except (OSError, urllib.error.URLError, ValueError) as error:
            result.turns.append((text, [{"text": f"<error: {error}>"}]))
            result.no_outcome = "error"
            break
        result.turns.append((text, replies))
        decision = decide(conversation, replies, state)
        if decision.outcome is not None:
            result.outcome = decision.outcome
            break
        if decision.no_outcome is not None:
            result.no_outcome = decision.no_outcome
            break
        text = decision.send or ""
    result.patient_messages = state.patient_messages
    result.asked = dict(state.asked)
    result.seconds = time.monotonic() - started
    return result


def describe(result: Result) -> str:
    got = result.outcome or f"no outcome ({result.no_outcome})"
    c = result.conversation
    return f"{c.name}  [{c.file}]: expected {c.expect}, got {got}"


# An early exclusion: the screening ended within its first questions (age, diagnosis, ...).
EARLY_QUESTIONS = 5


def _questions_asked(result: Result) -> int:
    """How many screening questions were asked (consent, read-backs and offers aside)."""
    return sum(1 for step in result.asked if step in QUESTION_IDS)


def report(results: list[Result], full: bool) -> str:
    total = len(results)
    right = [r for r in results if r.right]
    wrong_likely = [
        r for r in results if r.outcome == LIKELY_ELIGIBLE and r.conversation.expect != r.outcome
    ]
    no_outcome = [r for r in results if r.outcome is None]
    wrong = [r for r in results if not r.right]
    counts = [r.patient_messages for r in results if r.outcome is not None]
    lines = [
        "== make eval: patient conversations against the real stack ==",
        f"conversations: {total}",
        f"accuracy: {len(right)}/{total} = {100 * len(right) / max(total, 1):.1f}%",
    ]
    for outcome in OUTCOMES:
        group = [r for r in results if r.conversation.expect == outcome]
        ok = sum(r.right for r in group)
        lines.append(f"  expected {outcome:17s} {ok}/{len(group)} right")
    median = statistics.median(counts) if counts else 0
    lines.append(f"median patient messages per outcome: {median}")
    for outcome in OUTCOMES:
        group = [r.patient_messages for r in results if r.outcome == outcome]
        if group:
            lines.append(f"  told {outcome:17s} median {statistics.median(group)} ({len(group)})")
    excluded = [r for r in results if r.outcome == "not_eligible"]
    for label, keep in (
        (f"by question {EARLY_QUESTIONS} or before", lambda n: n <= EARLY_QUESTIONS),
        ("later", lambda n: n > EARLY_QUESTIONS),
    ):
        group = [r.patient_messages for r in excluded if keep(_questions_asked(r))]
        if group:
            lines.append(
                f"    not_eligible {label}: median {statistics.median(group)} ({len(group)})"
            )
    lines.append(f"wrongly told likely eligible: {len(wrong_likely)}")
    lines.extend(f"  - {describe(r)}" for r in wrong_likely)
    lines.append(f"no outcome: {len(no_outcome)}")
    lines.extend(f"  - {describe(r)}" for r in no_outcome)
    lines.append(f"all wrong: {len(wrong)}")
    lines.extend(f"  - {describe(r)}" for r in wrong)
    for r in wrong:
        lines.append("")
        lines.append(f"--- {describe(r)}")
        if r.conversation.why:
            lines.append(f"  why expected: {r.conversation.why}")
        if r.reasked:
            lines.append(f"  asked more than once: {r.reasked}")
        lines.append(r.transcript(None if full else TRANSCRIPT_TAIL_TURNS))
    return "\n".join(lines) + "\n"


def replay(conversation: Conversation) -> Result:
    """One conversation through the parsers and the engine only, as the actions read answers:
    no NLU, no digressions, no read-backs. Seconds instead of minutes, for a developer checking
    a parser change against every conversation; the stack run is the measurement."""
    from bot.eligibility import Answer, assess, follow_ups_answered, next_question, read_answer
    from bot.parsing import UNSURE
    from bot.parsing.context import answered_for

    trial = load_trial()
    today = trial.today()
    said = [conversation.greeting]
    answers: dict[str, Answer] = {}
    result = Result(conversation)
    while (question := next_question(trial, answers, today)) is not None:
        texts = conversation.answers.get(question.id) or default_answers(
            conversation.name, question.id, conversation.language
        )
        answer = None
        for text in texts[:2]:  # the bot asks once again, then notes "not sure"
            said.append(text)
            result.turns.append((text, []))
            result.asked[question.id] = result.asked.get(question.id, 0) + 1
            answer = read_answer(
                trial, question.id, text, today, answers, on_behalf_of=answered_for(said)
            )
            if answer is not None:
                break
        answers[question.id] = answer or Answer(text=texts[0], value=UNSURE)
        if answer is not None:
            answers |= follow_ups_answered(
                trial, question.id, answer, today, answers, answered_for(said)
            )
    result.outcome = assess(trial, answers, today).outcome
    result.patient_messages = len(said) + 1  # and the consent
    return result


def run(url: str, conversations: list[Conversation], jobs: int) -> list[Result]:
    done = 0
    lock = threading.Lock()

    def one(conversation: Conversation) -> Result:
        nonlocal done
        result = play(url, conversation)
        with lock:
            done += 1
            mark = "ok " if result.right else "BAD"
            print(f"[{done}/{len(conversations)}] {mark} {describe(result)}", flush=True)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, conversations))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", help="only conversations whose name contains this (any case)")
    parser.add_argument("--jobs", type=int, default=4, help="conversations played at once")
    parser.add_argument("--out", type=Path, help="write the full report (every failing transcript)")
    parser.add_argument("--url", help="REST webhook of a running stack (default: start one)")
    parser.add_argument("--files", nargs="+", help="only these files of tests/eval (names)")
    parser.add_argument(
        "--offline", action="store_true", help="parsers and engine only, no stack (see replay)"
    )
    args = parser.parse_args(argv)

    conversations = load_conversations()
    if args.names:
        conversations = [c for c in conversations if args.names.lower() in c.name.lower()]
    if args.files:
        conversations = [c for c in conversations if c.file in args.files]
    if not conversations:
        print("no conversations match")
        return 0

    if args.offline:
        results = [replay(conversation) for conversation in conversations]
    elif args.url:
        results = run(args.url, conversations, args.jobs)
    else:
        from scripts.stack import DEFAULT_MODEL, Stack, StackConfig, StackError

        if not DEFAULT_MODEL.exists():
            print(f"no trained model at {DEFAULT_MODEL}: run `make model`", file=sys.stderr)
            return 2
        work_dir = Path(tempfile.mkdtemp(prefix="hn2301-eval-"))
        config = StackConfig.throwaway(work_dir, with_dashboard=False, with_page=False)
        log = open(work_dir / "stack.log", "w")  # noqa: SIM115
        stack = Stack(config, echo=log)
        print(f"starting the stack (logs in {work_dir / 'stack.log'}) ...", flush=True)
        try:
            stack.start()
        except StackError as error:
            print(f"the stack did not start: {error}", file=sys.stderr)
            stack.stop()
            return 2
        try:
            results = run(stack.rest_url, conversations, args.jobs)
        finally:
            stack.stop()
            log.close()

    print()
    if args.offline:
        print("(--offline: parsers and engine only, not the stack)")
    print(report(results, full=False), end="")
    if args.out:
        args.out.write_text(report(results, full=True), encoding="utf-8")
        print(f"\nfull report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
