from carrier.catalog import get_catalog, matches


def test_default_catalog_holds_the_seed_types() -> None:
    catalog = get_catalog()
    seed_000 = {"model.trained", "detection.complete", "classification.complete", "project.updated"}
    assert seed_000 <= set(catalog.names())
    assert "batch.progress" in catalog and "model.deprecated" in catalog
    assert len(catalog.names()) == 4 + 23 + 1 + 5  # seed 000, seed 004, webhook.test and the operational events
    assert all(t.example for t in catalog.types.values())


def test_patterns_exact_prefix_and_star() -> None:
    assert matches(["model.trained"], "model.trained")
    assert not matches(["model.trained"], "model.deployed")
    assert matches(["model.*"], "model.deployed")
    assert not matches(["model.*"], "modelx.deployed")
    assert matches(["*"], "anything.at_all")
    assert not matches([], "model.trained")


def test_unknown_patterns_are_listed() -> None:
    catalog = get_catalog()
    assert catalog.unknown_patterns(["model.*", "*", "batch.progress"]) == []
    assert catalog.unknown_patterns(["nope", "nothing.*", "model.trained"]) == ["nope", "nothing.*"]
