"""The emulated Lambda runtime's environment: a function sees its own variables while it runs, and
the process's environment is exactly as it was afterwards, whatever the handler did to it."""

from __future__ import annotations

import os
from unittest import mock

import pytest

from mgn_wave_emu.lambda_router import _environment


def test_a_function_sees_its_variables_and_leaves_the_environment_as_it_found_it() -> None:
    # Given: a process environment with one variable the function overrides and one it deletes
    with mock.patch.dict(os.environ, {"SHARED": "process", "KEPT": "process", "GONE": "process"}):
        before = dict(os.environ)
        # When: a handler runs with its own values and changes the environment on its own
        with _environment({"SHARED": "function", "STATE_TABLE": "t"}):
            seen = (os.environ["SHARED"], os.environ["STATE_TABLE"], os.environ["KEPT"])
            os.environ["ADDED_BY_HANDLER"] = "x"
            os.environ["KEPT"] = "changed by handler"
            del os.environ["GONE"]
        after = dict(os.environ)
    # Then
    assert seen == ("function", "t", "process")
    assert after == before


def test_the_environment_is_restored_when_the_handler_raises() -> None:
    with mock.patch.dict(os.environ, {"SHARED": "process"}):
        before = dict(os.environ)
        with pytest.raises(RuntimeError), _environment({"SHARED": "function", "ONLY_HERE": "1"}):
            raise RuntimeError("handler failed")
        assert dict(os.environ) == before
