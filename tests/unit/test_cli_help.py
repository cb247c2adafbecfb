"""Every option and argument of the `carrier` command says what it is for (`--help` is the CLI's manual)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from carrier.cli import build_parser, main


def walk(parser: argparse.ArgumentParser, name: str = "carrier") -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {choice.dest: choice.help for choice in action._choices_actions}
            for command, sub in action.choices.items():
                yield f"{name} {command}", argparse.Action([command], command, help=helped.get(command))
                yield from walk(sub, f"{name} {command}")
        elif not isinstance(action, argparse._HelpAction):
            yield name, action


def test_every_command_option_and_argument_has_help() -> None:
    found = list(walk(build_parser()))
    missing = [f"{name}: {'/'.join(a.option_strings) or a.dest}" for name, a in found if not (a.help or "").strip()]
    assert missing == []
    assert len(found) > 80  # the walk reached every subcommand


@pytest.mark.parametrize(
    "action", ["list", "get", "create", "update", "delete", "test", "enable", "disable", "rotate", "replay"]
)
def test_webhooks_has_every_action(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["webhooks", action, "--help"])
    assert done.value.code == 0
    assert "usage: carrier webhooks " + action in capsys.readouterr().out
