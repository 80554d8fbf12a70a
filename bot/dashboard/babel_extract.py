"""A Babel extractor for the trial definition: the words of it a coordinator reads.

`pybabel extract -F bot/dashboard/babel.cfg` runs it on bot/trials/*.yml, so each criterion's
short name (its id, "lab_markers" -> "lab markers"), `summary` and `explain` (stored as a
screening's main reason) and each coordinator check's `text` land in the dashboard catalog.
The patient-side texts of the trial (questions, re-asks, why-texts) belong to the `patient`
domain and are not extracted here.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml


def extract_trial(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel's extractor protocol: (line number, function name, message, comments)."""
    data = yaml.safe_load(fileobj.read().decode("utf-8")) or {}
    for criterion in data.get("criteria") or []:
        where = f"criterion {criterion.get('id')} ({criterion.get('item')})"
        if criterion.get("id"):
            name = str(criterion["id"]).replace("_", " ")
            yield 0, None, name, [f"{where}: short name (from its id)"]
        for key in ("summary", "explain"):
            if criterion.get(key):
                yield 0, None, str(criterion[key]), [f"{where}: {key}"]
    for check in data.get("coordinator_checks") or []:
        if check.get("text"):
            yield 0, None, str(check["text"]), [f"coordinator check ({check.get('item')})"]
