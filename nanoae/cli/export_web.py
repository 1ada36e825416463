"""``python -m nanoae export-web RUN``: the latent explorer page of a run with a 2-D code (``nanoae/web.py``)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from nanoae import backend, web
from nanoae.cli.commands import _trained_on
from nanoae.data import DATASET_NAMES, load_dataset
from nanoae.files import write_text
from nanoae.limits import human_bytes
from nanoae.models import load_model

PAGE_NAME = "latent_explorer.html"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def add_export_web(commands_: argparse._SubParsersAction) -> None:
    """Add the ``export-web`` command and its options to the parser."""
    p = commands_.add_parser(
        "export-web", help="write the latent explorer page for a 2-D run",
        description="One self-contained HTML page (it works offline, opened from the disk): the test digits' "
                    "2-D codes, and under the pointer the image the run's decoder makes from that point, "
                    "computed in the page with the decoder's own weights.")
    p.add_argument("run", metavar="RUN", help="a run folder (or its model.npz) of a 2-D autoencoder or VAE")
    p.add_argument("--out", type=Path, default=None, help=f"the page to write; default RUN/{PAGE_NAME}")
    p.add_argument("--points", type=_positive_int, default=1000,
                   help="how many test digits to place on the plane (the first N); default 1000")
    p.add_argument("--json", type=Path, default=None, metavar="FILE",
                   help="also write the exported weights and codes as JSON")
    p.add_argument("--dataset", choices=DATASET_NAMES, default=None,
                   help="where the test digits come from; default: the data set the run trained on")
    p.add_argument("--data-dir", default=None, help="where to look first for a full-size data set")
    p.add_argument("--download", action="store_true", help="fetch a missing data set into ~/.cache/nanoae")
    p.set_defaults(handler=export_web)


def export_web(args: argparse.Namespace) -> int:
    """``export-web``: write the latent explorer page of a 2-D run."""
    backend.use("numpy", dtype="float64")          # float64 weights: the page decodes in float64 too
    run = Path(args.run)
    folder = run if run.is_dir() else run.parent
    model = load_model(run / "model.npz" if run.is_dir() else run)
    _, test = load_dataset(args.dataset or _trained_on(folder), args.data_dir, args.download)
    data = web.export(model, test, args.points)
    out = args.out or folder / PAGE_NAME
    text = web.page(data)
    write_text(out, text)
    print(f"wrote {out} ({human_bytes(len(text.encode()))}): {len(data['codes']):,} test digits and the decoder's "
          f"{len(data['decoder'])} layers; open it in a browser")
    if args.json is not None:
        write_text(args.json, json.dumps(data, allow_nan=False) + "\n")
        print(f"wrote {args.json}")
    return 0
