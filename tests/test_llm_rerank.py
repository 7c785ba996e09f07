"""The optional LLM re-ranker: re-orders on a good answer, falls back on anything else, never sees values."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from mapper.profile import profile_records
from mapper.propose import Candidate, ProposerSettings, TemplateStore, propose, rank
from mapper.propose.llm import parse_order, rerank
from mapper.schema import Entity, Field, Schema

FAST = ProposerSettings(disabled=frozenset({"embedding"}), templates=TemplateStore(path=Path("/nonexistent")))
RAW_VALUES = ["ada.okafor@example.com", "tomas.lind@example.net", "priya.b@example.org"]
PROFILE = profile_records(({"mail": v} for v in RAW_VALUES), ["mail"])["mail"]
SRC_ENTITY = Entity("patient", (Field("mail", "email", description="contact address", profile=PROFILE),))
CANDS = [
    (Candidate("Contact", "Email", 0.9, "name"), Field("Email", "email", label="Email")),
    (Candidate("Contact", "Description", 0.4, "weak"), Field("Description", "text")),
    (Candidate("Contact", "Phone", 0.2, "weak"), Field("Phone", "phone")),
]


@pytest.fixture(autouse=True)
def _fresh_failure_counts() -> None:
    from mapper.propose import llm

    llm._failures.clear()


class FakeCompletion:
    """Records every prompt and answers from a script (text, or an exception to raise)."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    def __call__(self, **kwargs: Any) -> Any:
        self.prompts.append(json.dumps(kwargs["messages"], ensure_ascii=False))
        if isinstance(self.answer, BaseException):
            raise self.answer
        from types import SimpleNamespace

        return SimpleNamespace(choices=[SimpleNamespace(message=SimpleNamespace(content=self.answer))])


def _settings(completion: Any, masked: bool = False) -> ProposerSettings:
    # A real provider/model name: litellm answers from mock_response without any network or key.
    return ProposerSettings(llm_model="openai/gpt-4o-mini", llm_completion=completion, llm_masked_samples=masked)


def test_litellm_mock_response_reorders() -> None:
    import litellm

    completion = functools.partial(litellm.completion, mock_response='{"order": [2, 1, 3]}')
    out = rerank(SRC_ENTITY, SRC_ENTITY.fields[0], CANDS, _settings(completion))
    assert [c.tgt_att for c in out] == ["Description", "Email", "Phone"]
    assert [c.score for c in out] == [0.9, 0.4, 0.2]
    assert "re-ranked" in out[0].why


@pytest.mark.parametrize("answer", [
    "not json at all",
    '{"order": "first"}',
    "I'm sorry, I can't help with that.",
    '{"order": [9, 12]}',
    TimeoutError("took too long"),
    RuntimeError("provider down"),
])
def test_anything_but_a_good_answer_keeps_the_ranking(answer: Any) -> None:
    out = rerank(SRC_ENTITY, SRC_ENTITY.fields[0], CANDS, _settings(FakeCompletion(answer)))
    assert [c.tgt_att for c in out] == ["Email", "Description", "Phone"]


def test_litellm_timeout_falls_back() -> None:
    import litellm

    def slow(**kwargs: Any) -> Any:
        raise litellm.Timeout(message="timeout", model="openai/gpt-4o-mini", llm_provider="openai")

    out = rerank(SRC_ENTITY, SRC_ENTITY.fields[0], CANDS, _settings(slow))
    assert out[0].tgt_att == "Email"


def test_no_value_reaches_the_prompt() -> None:
    fake = FakeCompletion('{"order": [1]}')
    rerank(SRC_ENTITY, SRC_ENTITY.fields[0], CANDS, _settings(fake))
    prompt = fake.prompts[0]
    assert "mail" in prompt and "Contact.Email" in prompt
    for value in RAW_VALUES + list(PROFILE.examples):
        assert value not in prompt
    for part in ("okafor", "lind", "priya", "example.com"):
        assert part not in prompt.lower()


def test_masked_examples_only_on_opt_in() -> None:
    fake = FakeCompletion('{"order": [1]}')
    rerank(SRC_ENTITY, SRC_ENTITY.fields[0], CANDS, _settings(fake, masked=True))
    prompt = fake.prompts[0]
    assert any(example in prompt for example in PROFILE.examples)
    for value in RAW_VALUES:
        assert value not in prompt


def test_parse_order_completes_partial_answers() -> None:
    assert parse_order('Sure: {"order": [3]}', 3) == [2, 0, 1]
    assert parse_order("{}", 3) is None


def test_propose_and_rank_use_the_reranker_end_to_end() -> None:
    src = Schema("dentrix", (Entity("patient", (Field("emailaddr"), Field("lastname"))),))
    dst = Schema("salesforce", (Entity("Contact", (Field("Email", "email"), Field("LastName"), Field("Description", "text"))),))
    fake = FakeCompletion('{"order": [2, 1]}')
    settings = ProposerSettings(disabled=FAST.disabled, templates=FAST.templates, llm_model="test/model", llm_completion=fake)
    cands = rank("patient", "emailaddr", src, dst, destination_kind="salesforce", settings=settings)
    assert fake.prompts and cands[0].tgt_att != "Email"
    spec = propose(src, dst, destination_kind="salesforce", settings=settings)
    assert spec.entities[0].fields


def test_a_failing_model_is_given_up_after_a_few_calls() -> None:
    from mapper.propose import llm

    fake = FakeCompletion(RuntimeError("no key"))
    settings = ProposerSettings(llm_model="openai/broken-model", llm_completion=fake)
    for _ in range(5):
        rerank(SRC_ENTITY, SRC_ENTITY.fields[0], CANDS, settings)
    assert len(fake.prompts) == 3 and llm.unavailable("openai/broken-model")
