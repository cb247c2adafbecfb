"""Which webhooks an event reaches: `dispatch.matches_filters` (equality on data fields, dotted paths, a list
means any of) and `catalog.matches` (exact names, `prefix.*`, `*`)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from carrier.catalog import matches
from carrier.targets import matches_filters

DATA = {
    "project_id": "proj_1",
    "batch_id": "b1",
    "progress": 40,
    "model": {"id": "mod_1", "metrics": {"map": 0.9}},
    "tags": ["a", "b"],
    "nothing": None,
}


# ---- filters ------------------------------------------------------------------------------------------------


def test_no_filters_match_every_event() -> None:
    assert matches_filters({}, DATA) and matches_filters({}, {})


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"project_id": "proj_1"}, True),  # every batch of a project
        ({"project_id": "proj_1", "batch_id": "b1"}, True),  # one batch: every field must match
        ({"project_id": "proj_1", "batch_id": "b2"}, False),
        ({"project_id": "proj_2"}, False),
        ({"progress": 40}, True),
        ({"progress": "40"}, False),  # equality, no coercion between strings and numbers
        ({"progress": 40.0}, True),  # ... but 40 == 40.0 in JSON numbers
    ],
)
def test_every_filter_field_must_equal_the_data_field(filters: dict[str, Any], expected: bool) -> None:
    assert matches_filters(filters, DATA) is expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"model.id": "mod_1"}, True),
        ({"model.metrics.map": 0.9}, True),
        ({"model.id": "mod_2"}, False),
        ({"model.metrics": {"map": 0.9}}, True),  # a whole object compares equal
        ({"model": {"id": "mod_1"}}, False),  # ... only when it is the whole object
    ],
)
def test_dotted_paths_reach_nested_fields(filters: dict[str, Any], expected: bool) -> None:
    assert matches_filters(filters, DATA) is expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"project_id": ["proj_0", "proj_1"]}, True),
        ({"project_id": ["proj_0", "proj_2"]}, False),
        ({"project_id": []}, False),  # any of nothing: never
        ({"model.id": ["mod_1"], "batch_id": ["b1", "b2"]}, True),
        ({"tags": ["a", "b"]}, False),  # a list is any-of, so a list-valued field cannot be matched whole
        ({"tags": [["a", "b"]]}, True),  # ... except as one of a list of lists
    ],
)
def test_a_list_means_any_of_its_values(filters: dict[str, Any], expected: bool) -> None:
    assert matches_filters(filters, DATA) is expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"absent": "x"}, False),
        ({"model.absent": "x"}, False),
        ({"absent.deeper": "x"}, False),
        ({"absent": None}, True),  # a missing field reads as null
        ({"nothing": None}, True),
        ({"absent": [None, "x"]}, True),
    ],
)
def test_missing_fields_read_as_null(filters: dict[str, Any], expected: bool) -> None:
    assert matches_filters(filters, DATA) is expected


@pytest.mark.parametrize(
    "path",
    ["project_id.x", "progress.value", "tags.0", "model.id.x", "nothing.x"],
)
def test_a_path_through_a_non_object_finds_nothing(path: str) -> None:
    # Given a path whose intermediate is a string, a number, a list or null
    # Then it is a missing field: no match for a value, a match for null
    assert not matches_filters({path: "proj_1"}, DATA)
    assert matches_filters({path: None}, DATA)


def test_a_data_key_holding_a_dot_is_not_reachable() -> None:
    # The dot always splits the path: a key "a.b" cannot be filtered on
    assert not matches_filters({"a.b": 1}, {"a.b": 1})
    assert matches_filters({"a.b": 1}, {"a": {"b": 1}})


# ---- filters: properties ------------------------------------------------------------------------------------

keys = st.sampled_from(["a", "b", "c", "id", "project_id"])
scalars = st.one_of(st.integers(-3, 3), st.sampled_from(["", "x", "proj_1"]), st.booleans(), st.none())


def nest(paths: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    """An event's data from dotted paths (a path under a leaf already set is left out)."""
    document: dict[str, Any] = {}
    for path, value in paths.items():
        node = document
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break
        else:
            node.setdefault(path[-1], value)
    return document


documents = st.dictionaries(st.lists(keys, min_size=1, max_size=3).map(tuple), scalars, max_size=6).map(nest)


def leaves(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted path -> value of every scalar leaf."""
    found: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            found.update(leaves(value, f"{prefix}{key}."))
        else:
            found[prefix + key] = value
    return found


@settings(max_examples=50, deadline=None)
@given(documents, st.data())
def test_any_subset_of_an_events_own_fields_matches_it(document: dict[str, Any], data: st.DataObject) -> None:
    # Given filters copied from some of the event's own leaf fields
    own = leaves(document)
    chosen = data.draw(st.lists(st.sampled_from(sorted(own)), unique=True)) if own else []
    filters = {path: own[path] for path in chosen}
    # Then the event matches them, as a value and as one of a list of values
    assert matches_filters(filters, document)
    assert matches_filters({path: ["not-this", value] for path, value in filters.items()}, document)


@settings(max_examples=50, deadline=None)
@given(documents, st.data())
def test_a_value_the_field_does_not_hold_never_matches(document: dict[str, Any], data: st.DataObject) -> None:
    paths = sorted(leaves(document))
    assume(paths)
    path = data.draw(st.sampled_from(paths))
    value = leaves(document)[path]
    other = data.draw(scalars.filter(lambda v: v != value))
    assert not matches_filters({path: other}, document)
    assert not matches_filters({path: [other]}, document)


@settings(max_examples=50, deadline=None)
@given(documents, st.dictionaries(keys, scalars, max_size=3), st.dictionaries(keys, scalars, max_size=3))
def test_filters_are_a_conjunction(document: dict[str, Any], one: dict[str, Any], two: dict[str, Any]) -> None:
    # Matching both filter sets at once is matching each (keys shared by both take the second's value)
    merged = {**one, **two}
    expected = matches_filters({k: v for k, v in one.items() if k not in two}, document) and matches_filters(
        two, document
    )
    assert matches_filters(merged, document) is expected


# ---- event types --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patterns", "event_type", "expected"),
    [
        (["model.trained"], "model.trained", True),
        (["model.trained"], "model.deployed", False),
        (["model.trained"], "model.trained.v2", False),  # exact means exact
        (["model.*"], "model.trained", True),
        (["model.*"], "model.trained.v2", True),  # a prefix covers every deeper name
        (["model.*"], "model", False),
        (["model.*"], "modelx.trained", False),
        (["model.*"], "models.trained", False),
        (["*"], "anything.at_all", True),
        (["*"], "", True),
        ([], "model.trained", False),
        (["batch.progress", "model.*"], "model.trained", True),  # any pattern of the list
        (["Model.trained"], "model.trained", False),  # case matters
        (["model*"], "model.trained", False),  # only `prefix.*` is a wildcard
    ],
)
def test_event_type_patterns(patterns: list[str], event_type: str, expected: bool) -> None:
    assert matches(patterns, event_type) is expected


names = st.lists(st.text(alphabet="abcxyz_", min_size=1, max_size=5), min_size=1, max_size=4).map(".".join)


@settings(max_examples=50, deadline=None)
@given(names, names)
def test_a_prefix_pattern_matches_exactly_the_names_under_it(prefix: str, event_type: str) -> None:
    assert matches([f"{prefix}.*"], event_type) is event_type.startswith(prefix + ".")
    assert matches([event_type], event_type) and matches(["*"], event_type)
