"""The CLI's commands: name → module. Each module has a `Config` dataclass and `run(cfg, ctx)`."""

from __future__ import annotations

COMMANDS: dict[str, str] = {
    "reward": "trainer.commands.reward",
    "safety": "trainer.commands.safety",
    "sft": "trainer.commands.sft",
    "ppo": "trainer.commands.ppo",
    "dpo": "trainer.commands.dpo",
    "kto": "trainer.commands.kto",
    "grpo": "trainer.commands.grpo",
    "rloo": "trainer.commands.rloo",
    "generate": "trainer.commands.generate",
    "evaluate": "trainer.commands.evaluate",
    "acquire": "trainer.commands.acquire",
    "forecast": "trainer.commands.forecast",
    "serve": "trainer.commands.serve",
}
