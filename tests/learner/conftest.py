"""tests/learner imports the generator it tests, tools/make_exercises.py, by name."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
