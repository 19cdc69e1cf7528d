import importlib
import pkgutil
import sys

import nnphys.bench

names = sorted(m.name for m in pkgutil.iter_modules(nnphys.bench.__path__) if not m.name.startswith("_"))
if len(sys.argv) < 2 or sys.argv[1] not in names:
    print(f"usage: python -m nnphys.bench {{{','.join(names)}}} [options]", file=sys.stderr)
    raise SystemExit(2)
importlib.import_module(f"nnphys.bench.{sys.argv[1]}").main(sys.argv[2:])
