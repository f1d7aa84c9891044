"""report.json follows its versioned schema (tier3/audit/schema/audit-report-v1.json): the sample report with
every outcome validates, documents broken in the ways a consumer would trip on do not, and the schema's
enums are the model's, so the two cannot drift apart."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from typing import Any

import audit_sample
import jsonschema
import pytest

from tier3.audit.model import SCHEMA_ID, Area, AuditReport, Outcome, Result
from tier3.audit.writers import AUDIT_WRITERS
from tier3.audit.writers.json_ import schema, write_json
from tier3.model import Severity

VALIDATOR = jsonschema.Draft202012Validator(schema())


def printed(report: AuditReport) -> dict[str, Any]:
    out = io.StringIO()
    write_json(report, out)
    loaded: dict[str, Any] = json.loads(out.getvalue())
    return loaded


def errors(document: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def test_the_schema_is_a_valid_2020_12_schema_with_the_models_id() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$id"] == SCHEMA_ID
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_sample_report_validates() -> None:
    document = printed(audit_sample.sample_report())
    assert errors(document) == []
    assert document["$schema"] == SCHEMA_ID
    assert document["summary"]["by_outcome"] == {"pass": 2, "fail": 1, "waived": 1, "not evaluated": 1, "error": 1}


def test_the_json_writer_is_in_the_table() -> None:
    assert AUDIT_WRITERS["json"] is write_json


def test_every_top_level_key_of_the_report_is_described() -> None:
    document = printed(audit_sample.sample_report())
    assert set(document) == set(schema()["properties"]) == set(schema()["required"])
    result_keys = set(document["results"][0])
    assert result_keys == set(schema()["$defs"]["result"]["properties"]) == set(schema()["$defs"]["result"]["required"])


def test_the_schema_enums_are_the_models() -> None:
    defs = schema()["$defs"]
    assert defs["outcome"]["enum"] == [o.value for o in Outcome]
    assert defs["area"]["enum"] == [a.value for a in Area]
    assert defs["severity"]["enum"] == [s.value for s in Severity]


def test_a_control_character_is_kept_exactly_and_still_validates() -> None:
    odd = Result("T3-PWR-001", "two supplies", Area.REDUNDANCY, "declared", Severity.HIGH, Outcome.FAIL,
                 subject="mx\x011", message="one supply \x1b[31m")
    document = printed(audit_sample.sample_report(extra=(odd,)))
    assert errors(document) == []
    assert "mx\x011" in [r["subject"] for r in document["results"]]


def _set(path: list[str | int], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        node: Any = document
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def _drop(path: list[str | int]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        node: Any = document
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


@pytest.mark.parametrize(("change", "at"), [
    (_set(["results", 0, "outcome"], "passed"), "$.results[0].outcome"),
    (_set(["results", 0, "area"], "transport"), "$.results[0].area"),
    (_set(["results", 0, "severity"], "urgent"), "$.results[0].severity"),
    (_set(["results", 0, "extra"], 1), "$.results[0]"),
    (_drop(["results", 0, "controls"]), "$.results[0]"),
    (_set(["verdict"], "waived"), "$.verdict"),
    (_set(["summary", "by_outcome", "fail"], -1), "$.summary.by_outcome.fail"),
    (_drop(["summary", "by_outcome", "error"]), "$.summary.by_outcome"),
    (_set(["provenance", "generated_at"], "yesterday"), "$.provenance.generated_at"),
    (_set(["waivers", 0, "expires"], "31.01.2099"), "$.waivers[0].expires"),
    (_set(["evidence", 0, "sha256"], "not-a-hash"), "$.evidence[0].sha256"),
    (_set(["controls", 0, "id"], "no colon"), "$.controls[0].id"),
    (_drop(["notes"]), "$"),
    (_set(["$schema"], "https://tier3.invalid/schemas/audit-report/v2"), "$['$schema']"),
])
def test_a_broken_document_does_not_validate(change: Callable[[dict[str, Any]], None], at: str) -> None:
    document = copy.deepcopy(printed(audit_sample.sample_report()))
    change(document)
    found = errors(document)
    assert found, "the broken document validated"
    assert any(e.startswith(f"{at}:") for e in found), found
