"""Request validation: every invalid value is rejected before it reaches the worker."""

import pytest

from pixova_desktop.core.request import MAX_SEED, GenerationRequest, RequestError


def test_size_not_multiple_of_eight_names_nearest() -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest("cat", width=640, height=427).validated()
    message = str(caught.value)
    assert caught.value.field == "height"
    assert "427" in message
    assert "424" in message
    assert "432" in message


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"steps": 0}, "steps", "from 1 to 150"),
        ({"steps": 151}, "steps", "151"),
        ({"cfg_scale": -0.5}, "cfg_scale", "from 0 to 30"),
        ({"cfg_scale": 31}, "cfg_scale", "31"),
        ({"width": 56}, "width", "from 64 to 2048"),
        ({"height": 2056}, "height", "2056"),
        ({"seed": -1}, "seed", "from 0 to 4294967295"),
        ({"seed": MAX_SEED + 1}, "seed", "4294967296"),
        ({"batch_count": 0}, "batch_count", "from 1 to 100"),
        ({"seed": MAX_SEED, "batch_count": 2}, "seed", "4294967294"),
        ({"scheduler": "Heun++"}, "scheduler", "Heun++"),
        ({"steps": 2.5}, "steps", "whole number"),
    ],
)
def test_invalid_values_rejected(changes: dict, field: str, fragment: str) -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest("cat", **changes).validated()
    assert caught.value.field == field
    assert fragment in str(caught.value)


def test_limits_are_accepted() -> None:
    for changes in (
        {"steps": 1, "cfg_scale": 0, "width": 64, "height": 64, "seed": 0},
        {"steps": 150, "cfg_scale": 30, "width": 2048, "height": 2048, "seed": MAX_SEED},
    ):
        request = GenerationRequest("cat", **changes).validated()
        assert request.seed == changes["seed"]


def test_random_seed_is_recorded() -> None:
    request = GenerationRequest("cat", seed=None).validated()
    assert isinstance(request.seed, int)
    assert 0 <= request.seed <= MAX_SEED


def test_batch_seeds_count_up() -> None:
    request = GenerationRequest("cat", seed=41, batch_count=3).validated()
    assert request.image_seeds() == [41, 42, 43]


def test_dict_round_trip_ignores_unknown_keys() -> None:
    request = GenerationRequest("a\nb, c: d", negative_prompt="x", seed=3, batch_count=2)
    data = request.to_dict() | {"from_a_newer_version": True}
    assert GenerationRequest.from_dict(data) == request
