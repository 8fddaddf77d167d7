import subprocess
import sys
from pathlib import Path

TRAINER_DIR = Path(__file__).resolve().parents[1]


def test_training_doc_command_reference_is_up_to_date():
    doc = TRAINER_DIR.parents[1] / "docs" / "training.md"
    proc = subprocess.run([sys.executable, "-m", "trainer.docs", "--check", str(doc)], cwd=TRAINER_DIR, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_platform_option_schemas_are_up_to_date():
    schemas = TRAINER_DIR.parents[1] / "server" / "training" / "trainer-options.generated.ts"
    proc = subprocess.run([sys.executable, "-m", "trainer.ts_options", "--check", str(schemas)], cwd=TRAINER_DIR, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
