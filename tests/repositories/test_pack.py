"""PackRepository beyond what every repository does (test_common.py): the ref and version
rules, round trips, finders, and what deleting a pack removes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from attune_common.errors import AlreadyExists, ValidationError
from attune_common.repositories import (
    ActionRepository,
    CreatePackInput,
    EventRepository,
    KeyRepository,
    PackRepository,
    PermissionSetRepository,
    PolicyRepository,
    RuleRepository,
    RuntimeRepository,
    SensorRepository,
    TriggerRepository,
    UpdatePackInput,
    WorkerRepository,
)
from tests.builders import (
    ActionFixture,
    Conn,
    EventFixture,
    KeyFixture,
    PackFixture,
    PermissionSetFixture,
    PolicyFixture,
    RuleFixture,
    RuntimeFixture,
    SensorFixture,
    TriggerFixture,
    WorkerFixture,
    unique_name,
)

# -- create ----------------------------------------------------------------------------


def test_create_minimal_uses_schema_defaults(conn: Conn) -> None:
    ref = unique_name("pack")
    pack = PackRepository(conn).create(CreatePackInput(ref=ref, label="Minimal", version="1.0.0"))
    assert pack.id > 0
    assert (pack.ref, pack.label, pack.version) == (ref, "Minimal", "1.0.0")
    assert pack.description is None
    assert (pack.conf_schema, pack.config, pack.meta) == ({}, {}, {})
    assert (pack.tags, pack.runtime_deps) == ([], [])
    assert pack.is_standard is False
    assert pack.created.tzinfo is not None
    assert pack.updated == pack.created


def test_create_full_round_trips_every_field(conn: Conn) -> None:
    repository = PackRepository(conn)
    data = CreatePackInput(
        ref=unique_name("pack"),
        label="Full pack",
        version="2.3.4-rc.1+build.7",
        description="every column set",
        conf_schema={"type": "object", "properties": {"token": {"type": "string"}}},
        config={"token": "abc", "retries": 3, "nested": [1, {"x": None}]},
        meta={"author": "tests", "homepage": "https://example.com"},
        tags=["network", "monitoring"],
        runtime_deps=["python3", "curl"],
        is_standard=True,
    )
    pack = repository.create(data)
    for column in ("ref", "label", "version", "description", "conf_schema", "config", "meta"):
        assert getattr(pack, column) == getattr(data, column), column
    assert pack.tags == ["network", "monitoring"]
    assert pack.runtime_deps == ["python3", "curl"]
    assert pack.is_standard is True
    assert repository.get_by_id(pack.id) == pack


def test_create_duplicate_ref_raises_already_exists(conn: Conn) -> None:
    repository = PackRepository(conn)
    pack = PackFixture.unique().create(conn)
    with pytest.raises(AlreadyExists) as info, conn.transaction():
        repository.create(CreatePackInput(ref=pack.ref, label="Second", version="9.9.9"))
    assert info.value.constraint == "pack_ref_key"
    assert repository.get_by_ref(pack.ref) == pack


@pytest.mark.parametrize(
    "make_ref",
    [
        lambda: f"Pack{unique_name()}",
        lambda: f"{unique_name('pack')}.sub",
        lambda: "a",
        lambda: f"1{unique_name('pack')}",
    ],
    ids=["uppercase", "dot", "one-char", "leading-digit"],
)
def test_create_malformed_ref_raises_validation_error(
    conn: Conn, make_ref: Callable[[], str]
) -> None:
    repository = PackRepository(conn)
    ref = make_ref()
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.create(CreatePackInput(ref=ref, label="Bad ref", version="1.0.0"))
    assert info.value.constraint == "pack_ref_format"
    assert repository.find_by_ref(ref) is None


def test_create_ref_with_digits_hyphens_and_underscores_accepted(conn: Conn) -> None:
    ref = f"{unique_name('pack')}-core_2"
    assert PackFixture(name=ref).create(conn).ref == ref


@pytest.mark.parametrize("version", ["1.0.0", "0.1.0-beta.1+build.5", "10.20.30"])
def test_create_semver_version_accepted(conn: Conn, version: str) -> None:
    pack = PackFixture.unique().with_version(version).create(conn)
    assert PackRepository(conn).get_by_id(pack.id).version == version


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0-", ""])
def test_create_non_semver_version_raises_validation_error(conn: Conn, version: str) -> None:
    repository = PackRepository(conn)
    ref = unique_name("pack")
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.create(CreatePackInput(ref=ref, label="Bad version", version=version))
    assert info.value.constraint == "pack_version_semver"
    assert repository.find_by_ref(ref) is None


def test_create_null_label_raises_validation_error(conn: Conn) -> None:
    repository = PackRepository(conn)
    ref = unique_name("pack")
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.create(CreatePackInput(ref=ref, label=None, version="1.0.0"))  # type: ignore[arg-type]
    assert info.value.column == "label"
    assert repository.find_by_ref(ref) is None


def test_create_config_not_json_raises_validation_error(conn: Conn) -> None:
    repository = PackRepository(conn)
    ref = unique_name("pack")
    with pytest.raises(ValidationError) as info:
        repository.create(
            CreatePackInput(ref=ref, label="NaN", version="1.0.0", config={"x": float("nan")})
        )
    assert info.value.column == "config"
    assert repository.find_by_ref(ref) is None


# -- update ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("label", "Relabelled"),
        ("description", "now described"),
        ("version", "1.1.0-alpha"),
        ("conf_schema", {"type": "object", "required": ["token"]}),
        ("config", {"token": "xyz"}),
        ("meta", {"maintainer": "ops"}),
        ("tags", ["alpha", "beta"]),
        ("runtime_deps", ["nodejs"]),
        ("is_standard", True),
    ],
)
def test_update_each_field_changes_only_that_field(conn: Conn, column: str, value: Any) -> None:
    repository = PackRepository(conn)
    pack = PackFixture.unique().with_(description="before", tags=["before"]).create(conn)
    updated = repository.update(pack.id, UpdatePackInput(**{column: value}))
    assert getattr(updated, column) == value
    assert updated == replace(pack, **{column: value})
    assert repository.get_by_id(pack.id) == updated


def test_update_to_empty_collections_clears_them(conn: Conn) -> None:
    pack = (
        PackFixture.unique()
        .with_(tags=["a"], runtime_deps=["b"], config={"c": 1}, meta={"d": 2})
        .create(conn)
    )
    updated = PackRepository(conn).update(
        pack.id, UpdatePackInput(tags=[], runtime_deps=[], config={}, meta={})
    )
    assert (updated.tags, updated.runtime_deps, updated.config, updated.meta) == ([], [], {}, {})


def test_update_non_semver_version_refused_and_row_unchanged(conn: Conn) -> None:
    repository = PackRepository(conn)
    pack = PackFixture.unique().create(conn)
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.update(pack.id, UpdatePackInput(label="changed too", version="2.0"))
    assert info.value.constraint == "pack_version_semver"
    assert repository.get_by_id(pack.id) == pack


# -- delete ----------------------------------------------------------------------------


def test_delete_cascades_to_everything_the_pack_owns(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    runtime = RuntimeFixture.unique(pack).create(conn)
    trigger = TriggerFixture.unique(pack).create(conn)
    sensor = SensorFixture.unique(pack, trigger=trigger).create(conn)
    action = ActionFixture.unique(pack, runtime).create(conn)
    rule = RuleFixture.unique(pack, action, trigger).create(conn)
    policy = PolicyFixture.unique(pack, action).create(conn)
    permset = PermissionSetFixture.unique(pack).create(conn)
    key = KeyFixture.unique(owner=pack).create(conn)
    owned = [
        (RuntimeRepository, runtime.id),
        (RuntimeRepository, sensor.runtime),
        (TriggerRepository, trigger.id),
        (SensorRepository, sensor.id),
        (ActionRepository, action.id),
        (RuleRepository, rule.id),
        (PolicyRepository, policy.id),
        (PermissionSetRepository, permset.id),
        (KeyRepository, key.id),
    ]

    assert PackRepository(conn).delete(pack.id) is True

    for repository, id in owned:
        assert repository(conn).find_by_id(id) is None, repository.__name__


def test_delete_keeps_history_and_other_packs(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    other = PackFixture.unique().create(conn)
    runtime = RuntimeFixture.unique(pack).create(conn)
    worker = WorkerFixture.unique(runtime).create(conn)
    trigger = TriggerFixture.unique(pack).create(conn)
    event = EventFixture.unique(trigger).create(conn)
    survivor = TriggerFixture.unique(other).create(conn)

    PackRepository(conn).delete(pack.id)

    assert WorkerRepository(conn).get_by_id(worker.id).runtime is None
    kept = EventRepository(conn).get_by_id(event.id)
    assert (kept.trigger, kept.trigger_ref) == (None, trigger.ref)
    assert PackRepository(conn).get_by_id(other.id) == other
    assert TriggerRepository(conn).get_by_id(survivor.id) == survivor


# -- finders ---------------------------------------------------------------------------


def test_find_by_tag_returns_tagged_packs_in_ref_order(conn: Conn) -> None:
    tag = unique_name("tag")
    base = unique_name("pack")
    b = PackFixture(name=f"{base}-b").with_tags(["shared", tag]).create(conn)
    a = PackFixture(name=f"{base}-a").with_tags([tag]).create(conn)
    PackFixture(name=f"{base}-c").with_tags(["shared"]).create(conn)
    found = PackRepository(conn).find_by_tag(tag)
    assert found == [a, b]
    assert all(tag in pack.tags for pack in found)


def test_find_by_tag_matches_whole_tags_only(conn: Conn) -> None:
    tag = unique_name("tag")
    PackFixture.unique().with_tags([f"{tag}x", tag.upper()]).create(conn)
    assert PackRepository(conn).find_by_tag(tag) == []


def test_find_by_tag_respects_limit(conn: Conn) -> None:
    tag = unique_name("tag")
    base = unique_name("pack")
    a, b, _ = (PackFixture(name=f"{base}-{s}").with_tags([tag]).create(conn) for s in "abc")
    assert PackRepository(conn).find_by_tag(tag, limit=2) == [a, b]


def test_find_standard_returns_standard_packs_in_ref_order(snapshot: Conn) -> None:
    repository = PackRepository(snapshot)
    base = unique_name("pack")
    b = PackFixture(name=f"{base}-b").with_is_standard(True).create(snapshot)
    a = PackFixture(name=f"{base}-a").with_is_standard(True).create(snapshot)
    plain = PackFixture(name=f"{base}-c").create(snapshot)
    found = repository.find_standard(limit=repository.count())
    assert all(pack.is_standard for pack in found)
    assert [pack.ref for pack in found] == sorted(pack.ref for pack in found)
    assert [pack for pack in found if pack.ref.startswith(base)] == [a, b]
    assert plain not in found


def test_find_standard_respects_limit(conn: Conn) -> None:
    PackFixture.unique().with_is_standard(True).create(conn)
    PackFixture.unique().with_is_standard(True).create(conn)
    assert len(PackRepository(conn).find_standard(limit=1)) == 1


def test_search_matches_ref_label_or_description_ignoring_case(conn: Conn) -> None:
    word = unique_name("word")
    base = unique_name("pack")
    by_ref = PackFixture(name=f"{base}-a-{word}").create(conn)
    by_label = PackFixture(name=f"{base}-b").with_label(f"The {word.upper()} pack").create(conn)
    by_description = (
        PackFixture(name=f"{base}-c").with_description(f"mentions {word} here").create(conn)
    )
    PackFixture(name=f"{base}-d").with_description("mentions nothing").create(conn)
    repository = PackRepository(conn)
    assert repository.search(word) == [by_ref, by_label, by_description]
    assert repository.search(word.upper()) == [by_ref, by_label, by_description]
    assert repository.search(unique_name("absent")) == []


def test_search_treats_percent_and_underscore_literally(conn: Conn) -> None:
    word = unique_name("word")
    literal = PackFixture.unique().with_label(f"{word} 50%_off").create(conn)
    PackFixture.unique().with_label(f"{word} 50 xx off").create(conn)
    assert PackRepository(conn).search(f"{word} 50%_") == [literal]


def test_search_treats_backslash_literally(conn: Conn) -> None:
    word = unique_name("word")
    literal = PackFixture.unique().with_description(f"{word} C:\\temp").create(conn)
    PackFixture.unique().with_description(f"{word} C:temp").create(conn)
    assert PackRepository(conn).search(f"{word} C:\\t") == [literal]


def test_search_respects_limit(conn: Conn) -> None:
    word = unique_name("word")
    base = unique_name("pack")
    first, _ = (PackFixture(name=f"{base}-{s}").with_label(word).create(conn) for s in "ab")
    assert PackRepository(conn).search(word, limit=1) == [first]
