"""Property tests (Hypothesis): random input never crashes, only clear errors; tampering fails."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import AuthenticationFailed
from crypto.envelope import Binding, Sealer, new_submission_id, open_answers, open_content_key
from crypto.keys import ReviewerKey
from surveys import SurveyDefinitionError, load_survey_text
from surveys.answers import check_document, validate_answers

from .conftest import EXAMPLES, examples

KEY = ReviewerKey.generate()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def seal(document: dict[str, object]) -> tuple[Sealer, bytes]:
    sealer = Sealer(Binding("s", "v" * 64, new_submission_id()), [KEY.public_key])
    return sealer, sealer.seal_answers(document)


@settings(max_examples=examples(150), deadline=None)
@given(document=st.dictionaries(st.text(), json_values, max_size=8))
def test_any_answers_document_round_trips(document: dict[str, object]) -> None:
    sealer, ciphertext = seal(document)
    assert open_answers(open_content_key(sealer.slots, KEY), sealer.binding, ciphertext) == document


@settings(max_examples=examples(150), deadline=None)
@given(
    document=st.dictionaries(st.text(), json_values, max_size=8),
    position=st.integers(0),
    bit=st.integers(0, 7),
)
def test_any_bit_flip_in_sealed_answers_fails(
    document: dict[str, object], position: int, bit: int
) -> None:
    sealer, ciphertext = seal(document)
    damaged = bytearray(ciphertext)
    damaged[position % len(damaged)] ^= 1 << bit
    with pytest.raises(AuthenticationFailed):
        open_answers(open_content_key(sealer.slots, KEY), sealer.binding, bytes(damaged))


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=400))
def test_random_text_as_a_survey_definition_gives_only_clear_errors(text: str) -> None:
    try:
        load_survey_text(text.encode("utf-8", "surrogatepass"))
    except SurveyDefinitionError as e:
        assert all(":" in line for line in e.lines())


definition_like = st.fixed_dictionaries(
    {
        "id": st.text(max_size=10),
        "title": json_values,
        "questions": st.lists(
            st.dictionaries(
                st.sampled_from(
                    [
                        "name",
                        "type",
                        "label",
                        "choices",
                        "min",
                        "max",
                        "required",
                        "max_length",
                        "accept",
                        "hint",
                        "bogus",
                    ]
                ),
                json_values | st.sampled_from(["text", "integer", "select_one", "file", "date"]),
                max_size=6,
            ),
            max_size=4,
        ),
    },
    optional={"kind": json_values, "description": json_values},
)


@settings(max_examples=examples(300), deadline=None)
@given(definition=definition_like)
def test_definition_shaped_nonsense_gives_only_clear_errors(definition: dict[str, object]) -> None:
    try:
        text = json.dumps(definition)
    except ValueError:
        return
    try:
        survey = load_survey_text(text.encode())
    except SurveyDefinitionError:
        return
    assert survey.digest() == load_survey_text(survey.canonical()).digest()


TESTIMONY = load_survey_text((EXAMPLES / "testimony.yaml").read_bytes())
NEEDS = load_survey_text((EXAMPLES / "needs-assessment.yaml").read_bytes())


@settings(max_examples=examples(300), deadline=None)
@given(
    form=st.dictionaries(
        st.sampled_from([q.name for q in NEEDS.questions] + ["x", "csrf_token"]),
        st.lists(st.text(max_size=30), max_size=4),
        max_size=12,
    )
)
def test_any_form_input_is_either_accepted_or_explained(form: dict[str, list[str]]) -> None:
    result = validate_answers(NEEDS, form)
    assert all(str(m).endswith(".") for m in result.errors.values())
    if result.ok:  # what the form accepts, the reviewer's re-check accepts too
        assert check_document(NEEDS, {"answers": result.answers, "files": []}) == []


@settings(max_examples=examples(300), deadline=None)
@given(
    answers=st.dictionaries(
        st.sampled_from([q.name for q in TESTIMONY.questions] + ["x"]), json_values, max_size=8
    )
)
def test_any_decrypted_document_is_checked_without_crashing(answers: dict[str, object]) -> None:
    problems = check_document(TESTIMONY, {"answers": answers, "files": []})
    assert all(isinstance(p, str) for p in problems)


def test_a_billion_laughs_yaml_is_refused_not_expanded() -> None:
    bomb = (
        "a: &a ["
        + ",".join(["x"] * 10)
        + "]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n"
            for i in range(8)
        )
    )
    with pytest.raises(SurveyDefinitionError, match="aliases"):
        load_survey_text(bomb.encode())
