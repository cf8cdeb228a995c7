import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("LOFI_THREADS", "1")
