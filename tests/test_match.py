"""Renames proposed by content: which new column continues a column of the previous wave."""

from __future__ import annotations

import dataclasses
import random

import polars as pl
import pytest

from coprod.steward.match import CREDIBLE, Profile, Proposal, match, profile

YES_NO = {0: "Nei", 1: "Ja", 9: "Vet ikke"}


def _coded(name: str, counts: dict[object, int], blanks: int = 0, *, text: bool = True,
           labels: dict | None = None, question: str = "") -> Profile:
    """A coded column as a CSV delivers it (text) or SPSS does (numbers)."""
    values = [v for v, n in counts.items() for _ in range(n)] + [None] * blanks
    series = pl.Series(name, [None if v is None else str(v) if text else v for v in values])
    return profile(name, series, labels=labels, question=question)


def _counts(name: str, seed: int, top: int, rows: int = 300) -> Profile:
    """A count column (employees, members): many values, most of them small, up to ``top``."""
    draw = random.Random(seed)
    values = [0, top] + [min(top, int(draw.lognormvariate(2.8, 1.0))) for _ in range(rows - 2)]
    return profile(name, pl.Series(name, [str(v) for v in values]))


def _ids(name: str, start: int, rows: int = 300) -> Profile:
    return profile(name, pl.Series(name, [f"R{start + i:05d}" for i in range(rows)]))


def _kept() -> tuple[list[Profile], list[Profile]]:
    """Columns that keep their names from one wave to the next (rivals, never candidates)."""
    old = [_ids("respnr", 1), _coded("kommune", {301: 120, 4601: 100, 5001: 80}),
           _coded("samarbeid_kultur", {0: 140, 1: 150, 9: 10})]
    new = [_ids("respnr", 5001), _coded("kommune", {301: 118, 4601: 104, 5001: 78}),
           _coded("samarbeid_kultur", {0: 133, 1: 160, 9: 7})]
    return old, new


# --- profiles --------------------------------------------------------------------------------


def test_a_profile_of_coded_text() -> None:
    got = profile("svar", pl.Series(["1", " 2", "2 ", "", "  ", None, "9"]),
                  labels={"1": "Ja", 2: "Nei"}, question="Samarbeider dere?")
    assert got == Profile("svar", "integer", {1: 1, 2: 2, 9: 1}, 3, 7, 3, 1.0, 9.0,
                          {1: "Ja", 2: "Nei"}, "Samarbeider dere?", (1.0, 2.0, 9.0))


def test_spss_numbers_that_are_whole_are_integers() -> None:
    got = profile("svar", pl.Series([1.0, 2.0, float("nan"), None]))
    assert (got.kind, got.counts, got.nulls) == ("integer", {1: 1, 2: 1}, 2)


def test_decimal_commas_are_numbers() -> None:
    got = profile("vekt", pl.Series(["1,25", "0,75", "2"]))
    assert (got.kind, got.minimum, got.maximum) == ("number", 0.75, 2.0)


def test_many_values_are_profiled_by_range_not_counted() -> None:
    got = profile("antall", pl.Series([str(i) for i in range(200)]))
    assert (got.kind, got.counts, got.distinct, got.minimum, got.maximum) == (
        "integer", {}, 200, 0.0, 199.0)
    assert got.quantiles == (20.0, 100.0, 179.0)


def test_text_dates_and_ids() -> None:
    assert profile("dato", pl.Series(["2024-03-01", "2024-04-02"])).kind == "date"
    assert profile("navn", pl.Series(["Ja", "Nei", "Ja"])).counts == {"Ja": 2, "Nei": 1}
    long = profile("id", pl.Series(["12345678901234567890123", "1"]))
    assert (long.kind, long.minimum) == ("string", None)  # more digits than a number holds


def test_an_empty_column_takes_its_kind_from_its_labels_or_the_caller() -> None:
    empty = pl.Series("x", [], dtype=pl.String)
    assert profile("x", empty, labels={1: "Ja", 0: "Nei"}).kind == "integer"
    assert profile("x", empty).kind == "string"
    assert profile("x", empty, kind="number").kind == "number"


# --- matching --------------------------------------------------------------------------------


def test_a_renamed_count_column_with_another_name() -> None:
    kept_old, kept_new = _kept()
    old = [*kept_old, _counts("antall_ansatte", seed=1, top=412)]
    new = [*kept_new, _counts("ansatte_totalt", seed=2, top=398)]
    [proposal] = match(old, new)
    assert (proposal.old, proposal.new) == ("antall_ansatte", "ansatte_totalt")
    assert CREDIBLE <= proposal.score <= 1
    assert "ranges 0–412 and 0–398 overlap 97 %" in proposal.evidence
    assert "blank in 0 % and 0 % of rows" in proposal.evidence
    assert any(e.startswith("10th/50th/90th percentiles ") for e in proposal.evidence)
    assert any(e.startswith("names ") and e.endswith(" % alike") for e in proposal.evidence)


def test_a_renamed_coded_column_with_the_same_distribution() -> None:
    kept_old, kept_new = _kept()
    old = [*kept_old, _coded("geografisk_nivå", {1: 120, 2: 80, 3: 60, 4: 30, 9: 10})]
    new = [*kept_new, _coded("lokal_forankring", {1: 118, 2: 83, 3: 57, 4: 32, 9: 10}),
           _coded("medlemsdeltakelse", {1: 40, 2: 100, 3: 100, 4: 50, 9: 10})]
    [proposal] = match(old, new)
    assert (proposal.old, proposal.new) == ("geografisk_nivå", "lokal_forankring")
    assert proposal.score >= 0.8
    assert proposal.evidence[:2] == (
        "same codes {1, 2, 3, 4, 9}",
        "distribution differs by 1.7 points (total variation, blanks included)")


def test_value_labels_and_questions_count_as_evidence() -> None:
    old = [_coded("form_samproduktion", {1: 90, 2: 150, 8: 20}, 40, text=False,
                  labels={1: "Ja", 2: "Nej", 8: "Ved ikke"},
                  question="Foreningen og institutionen løser opgaver sammen (samproduktion)")]
    new = [_coded("form_udfoerelse", {1: 85, 2: 160, 8: 15}, 40, text=False,
                  labels={1: "Ja", 2: "Nej", 8: "Ved ikke"},
                  question="Foreningen udfører opgaver sammen med institutionen (samproduktion)")]
    [proposal] = match(old, new)
    assert proposal.score >= CREDIBLE
    assert "value labels 100 % alike" in proposal.evidence
    assert any(e.startswith("questions ") for e in proposal.evidence)


def test_a_dropped_column_is_not_proposed() -> None:
    kept_old, kept_new = _kept()
    old = [*kept_old, _coded("form_samutvikling", {0: 60, 1: 20, 9: 5}, 215)]
    new = [*kept_new, _coded("frivilligkoordinator", {0: 170, 1: 110, 9: 20})]
    assert match(old, new) == []
    # asked for every pair, it shows how far off the closest one is
    [closest] = match(old, new, threshold=0.0)
    assert closest.new == "frivilligkoordinator" and closest.score < CREDIBLE


def test_of_two_alike_yes_no_columns_only_the_renamed_one_is_proposed() -> None:
    kept_old, kept_new = _kept()
    old = [*kept_old, _coded("samarbeid_skole", {0: 150, 1: 140, 9: 10}),
           _coded("samarbeid_idrett", {0: 100, 1: 180, 9: 20})]
    new = [*kept_new, _coded("samarb_skole", {0: 147, 1: 144, 9: 9}),
           _coded("idrettslag", {0: 120, 1: 150, 9: 30})]  # a new question, not idrett's
    [proposal] = match(old, new)
    assert (proposal.old, proposal.new) == ("samarbeid_skole", "samarb_skole")
    assert "same codes {0, 1, 9}" in proposal.evidence


def test_yes_no_codes_alone_prove_nothing() -> None:
    # the same codes in about the same shares, but names that have nothing in common
    old = [_coded("form_samutvikling", {0: 150, 1: 140, 9: 10})]
    new = [_coded("frivilligkoordinator", {0: 147, 1: 144, 9: 9})]
    assert match(old, new) == []


def test_an_ambiguous_pair_is_lowered_when_distributions_cannot_tell() -> None:
    question = "Samarbeider virksomheten med skolen?"
    old = [_coded("skole", {0: 150, 1: 140, 9: 10}, labels=YES_NO, question=question)]
    new = [_coded("skole_a", {0: 150, 1: 140, 9: 10}, question=question),
           _coded("skole_b", {0: 149, 1: 141, 9: 10}, question=question)]
    [proposal] = match(old, new, threshold=0.0)
    assert proposal.new == "skole_a" and proposal.score < CREDIBLE
    assert any(e.startswith("also close: skole_b (0.") for e in proposal.evidence)
    assert proposal.evidence[-1] == ("the distributions do not tell them apart: score lowered to "
                                     "0.55")
    assert match(old, new) == []


def test_an_ambiguous_pair_stands_when_the_distributions_tell_them_apart() -> None:
    question = "Samarbeider virksomheten med skolen?"
    old = [_coded("skole", {0: 150, 1: 140, 9: 10}, question=question)]
    # one resembles it by name, the other by distribution: the distribution decides
    new = [_coded("skolen", {0: 132, 1: 158, 9: 10}, question=question),
           _coded("samarbeid_b", {0: 150, 1: 140, 9: 10}, question=question)]
    [proposal] = match(old, new, threshold=0.0)
    assert proposal.new == "samarbeid_b" and proposal.score >= CREDIBLE
    assert any(e.startswith("also close: skolen (0.") for e in proposal.evidence)
    assert proposal.evidence[-1] == "the distributions tell them apart"


def test_a_kept_column_alike_makes_a_pair_ambiguous() -> None:
    # a dropped yes/no question and a new one, where a yes/no column that kept its name
    # resembles the dropped one as well as the new one does
    question = "Samarbeider virksomheten med frivillige?"
    old = [_coded("samarbeid_frivillige", {0: 150, 1: 140, 9: 10}, question=question),
           _coded("samarbeid_foreninger", {0: 150, 1: 140, 9: 10}, question=question)]
    new = [_coded("samarbeid_foreninger", {0: 151, 1: 139, 9: 10}, question=question),
           _coded("samarbeid_frivillig", {0: 152, 1: 138, 9: 10}, question=question)]
    [proposal] = match(old, new, threshold=0.0)
    assert proposal.new == "samarbeid_frivillig" and proposal.score < CREDIBLE
    assert any(e.startswith("also close: samarbeid_foreninger") for e in proposal.evidence)


def test_danish_and_norwegian_letters_are_folded_in_names() -> None:
    old = [_coded("geografisk_nivå", {0: 150, 1: 140, 9: 10}),
           _coded("antal_ansatte_køn", {1: 100, 2: 100, 9: 10})]
    new = [_coded("geografisk_nivaa", {0: 120, 1: 170, 9: 10}),
           _coded("antal_ansatte_koen", {1: 90, 2: 110, 9: 10})]
    proposals = match(old, new)
    assert [(p.old, p.new) for p in proposals] == [("antal_ansatte_køn", "antal_ansatte_koen"),
                                                   ("geografisk_nivå", "geografisk_nivaa")]
    assert all("names 100 % alike" in p.evidence for p in proposals)


def test_a_string_id_is_never_matched_to_a_code_column() -> None:
    old = [_ids("respondent", 1), _coded("kommune", {301: 150, 4601: 150})]
    new = [_coded("respondent_type", {1: 100, 2: 200}), _coded("kommune", {301: 150, 4601: 150})]
    assert match(old, new, threshold=0.0) == []


def test_ids_are_matched_by_name_only() -> None:
    proposals = match([_ids("respondent_id", 1)], [_ids("respondentid", 9001)])
    assert [(p.old, p.new) for p in proposals] == [("respondent_id", "respondentid")]
    assert match([_ids("respondent_id", 1)], [_ids("loepenr", 9001)]) == []


def test_same_name_columns_are_never_candidates() -> None:
    old, new = _kept()
    assert match(old, new, threshold=0.0) == []


def test_one_to_one() -> None:
    old = [_counts("antall_ansatte", seed=1, top=412), _counts("ansatte", seed=3, top=412)]
    new = [_counts("ansatte_totalt", seed=2, top=398)]
    proposals = match(old, new, threshold=0.0)
    assert len(proposals) == 1 and proposals[0].new == "ansatte_totalt"


def test_proposals_do_not_depend_on_the_order_of_columns() -> None:
    kept_old, kept_new = _kept()
    old = [*kept_old, _counts("antall_ansatte", seed=1, top=412),
           _coded("geografisk_nivå", {1: 120, 2: 80, 3: 60, 4: 30, 9: 10}),
           _coded("form_samutvikling", {0: 60, 1: 20, 9: 5}, 215)]
    new = [*kept_new, _counts("ansatte_totalt", seed=2, top=398),
           _coded("lokal_forankring", {1: 118, 2: 83, 3: 57, 4: 32, 9: 10}),
           _coded("frivilligkoordinator", {0: 170, 1: 110, 9: 20})]
    expected = match(old, new, threshold=0.0)
    assert [p.old for p in expected] == sorted(p.old for p in expected)
    assert [(p.old, p.new) for p in expected if p.score >= CREDIBLE] == [
        ("antall_ansatte", "ansatte_totalt"), ("geografisk_nivå", "lokal_forankring")]
    draw = random.Random(7)
    for _ in range(5):
        draw.shuffle(old)
        draw.shuffle(new)
        assert match(old, new, threshold=0.0) == expected


def test_proposals_are_frozen_and_scored_within_0_and_1() -> None:
    kept_old, kept_new = _kept()
    [proposal] = match([*kept_old, _counts("a", 1, 412)], [*kept_new, _counts("b", 2, 398)],
                       threshold=0.0)
    assert isinstance(proposal, Proposal) and 0 <= proposal.score <= 1
    assert isinstance(proposal.evidence, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        proposal.score = 1.0  # type: ignore[misc]
