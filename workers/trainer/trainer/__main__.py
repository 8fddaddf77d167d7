"""`python -m trainer <command> [--config file.json] [--key value …]`

Commands: reward, safety, sft, ppo, dpo, kto, grpo, rloo, generate, evaluate, acquire,
forecast, serve (an OpenAI-compatible chat server that runs until stopped). Each writes JSON-lines
events on stdout (metric, checkpoint, eval, done, error) and its results under --output-dir;
re-running with the same output directory resumes from the last checkpoint. Exit codes: 0 done (also after SIGTERM, or
once the process named by TRAINER_PARENT_PID is gone, with the checkpoint saved), 2 bad input (an
`error` event says what), 1 an unexpected failure.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import sys
import traceback

# Nothing is fetched at run time: models come from local folders. Progress bars would only clutter
# stderr, which the worker keeps as the job's log.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from .checkpoint import PARENT_PID_ENV
from .commands import COMMANDS
from .config import load_config, option_fields
from .context import RunContext
from .errors import TrainerError
from .events import EventWriter, survive_a_lost_reader
from .runtime import make_runtime


def _help(command: str) -> str:
    module = importlib.import_module(COMMANDS[command])
    lines = [(module.__doc__ or "").strip(), "", "options (defaults):"]
    for f in option_fields(module.Config):
        default = "(required)" if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING else (
            f.default if f.default is not dataclasses.MISSING else f.default_factory()
        )
        lines.append(f"  --{f.name.replace('_', '-')} {default}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if os.environ.get(PARENT_PID_ENV):
        survive_a_lost_reader()
    # add_help=False: argparse would answer `reward --help` with the general help; -h/--help is
    # handled below, per command.
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, add_help=False)
    parser.add_argument("command", nargs="?", help="one of: " + ", ".join(COMMANDS))
    parser.add_argument("--config", help="JSON file with the command's options; flags override it")
    parser.add_argument("-h", "--help", action="store_true", help="show this help (or a command's options) and exit")
    args, rest = parser.parse_known_args(argv)
    events = EventWriter()
    if args.help and args.command is None:
        parser.print_help(sys.stderr)
        return 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.help and args.command in COMMANDS:
        rest = ["--help"]
    if args.command not in COMMANDS:
        events.error(f"unknown command {args.command!r}; commands: {', '.join(COMMANDS)}")
        return 2
    if rest in (["-h"], ["--help"]):
        print(_help(args.command), file=sys.stderr)
        return 0
    try:
        module = importlib.import_module(COMMANDS[args.command])
        cfg = load_config(module.Config, args.command, args.config, rest)
        runtime = make_runtime(getattr(cfg, "device", "auto"), getattr(cfg, "precision", "auto"), getattr(cfg, "attn_implementation", "auto"),
                               getattr(cfg, "compile", False))
        ctx = RunContext.create(runtime, cfg.output_dir, getattr(cfg, "keep_checkpoints", 2), events)
        summary = module.run(cfg, ctx)
        ctx.events.done(command=args.command, **(summary or {}))
        return 0
    except TrainerError as e:
        events.error(str(e))
        return 2
    except Exception as e:  # noqa: BLE001 - reported as an event, with the traceback on stderr
        traceback.print_exc(file=sys.stderr)
        events.error(f"{type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
