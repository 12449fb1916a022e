from pathlib import Path

import pytest

from assistant.errors import CapacitiesError
from assistant.models import choose_dtype
from assistant.settings import PROJECT_ROOT, Settings, describe


def test_every_setting_is_documented_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name, _, help_ in describe() if f"`{name}`" not in readme or not help_]
    assert not missing


def test_from_env_parses_types_and_overrides():
    s = Settings.from_env(
        {"CAPACITIES_TOP_K": "3", "CAPACITIES_OCR": "non", "CAPACITIES_DATA_DIR": "/tmp/x", "CAPACITIES_RRF_K": ""},
        corpus_dir=Path("/c"),
    )
    assert s.top_k == 3 and s.ocr is False and s.data_dir == Path("/tmp/x") and s.rrf_k == 60
    assert s.corpus_dir == Path("/c")
    with pytest.raises(CapacitiesError, match="CAPACITIES_TOP_K"):
        Settings.from_env({"CAPACITIES_TOP_K": "beaucoup"})


def test_dtype_choice():
    assert choose_dtype("float32") == "float32"
    assert choose_dtype("auto") in {"float32", "bfloat16"}
    with pytest.raises(CapacitiesError):
        choose_dtype("int4")
