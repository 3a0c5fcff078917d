"""Training with generated modules: data loading and checks, runs, restarts, plots.

Owns: datasets (CSV, NPZ, XOR, digits) and their checks, the module cache, ``run`` and ``restarts``.
May import: ``model``, ``backprop``, ``printing``, ``codegen`` and the base modules.
"""

from symbackprop.train.data import (
    DIGITS_SPLIT_SEED,
    DIGITS_TEST_SHARE,
    PROBABILITY_TOLERANCE,
    XOR_X,
    XOR_Y,
    Dataset,
    check_targets,
    digits_split,
    load_csv,
    load_data,
    load_digits,
    load_npz,
)
from symbackprop.train.runs import (
    THRESHOLD,
    RestartJob,
    RunResult,
    Summary,
    accuracy,
    as_json,
    cache_dir,
    classes,
    classified,
    import_path,
    module_file,
    plot,
    restarts,
    run,
    run_restart,
    summarise,
)

__all__ = [
    "DIGITS_SPLIT_SEED",
    "DIGITS_TEST_SHARE",
    "PROBABILITY_TOLERANCE",
    "THRESHOLD",
    "XOR_X",
    "XOR_Y",
    "Dataset",
    "RestartJob",
    "RunResult",
    "Summary",
    "accuracy",
    "as_json",
    "cache_dir",
    "check_targets",
    "classes",
    "classified",
    "digits_split",
    "import_path",
    "load_csv",
    "load_data",
    "load_digits",
    "load_npz",
    "module_file",
    "plot",
    "restarts",
    "run",
    "run_restart",
    "summarise",
]
