"""One schema per file nanoae saves: the model file's configuration, a checkpoint's meta, ``pretrain.json``,
an arm's ``result.json``, ``metrics.json`` (the pieces: ``pieces.py``).

Their vocabularies (activations, engines, …) are written out here, so that this module imports no model
code; ``tests/test_errors_and_schema.py`` checks them against the code.  A recipe's configuration may
lack a setting (a run folder from before the setting existed): the recipe's default is then used, as
when the configuration is built; a key the recipe does not know is refused.
"""
from __future__ import annotations

from nanoae.backend import BACKENDS
from nanoae.data import DATASET_NAMES
from nanoae.losses import LOSSES
from nanoae.schema.pieces import BOOL, NULL, Either, Int, ListOf, MapOf, Number, Object, Tagged, Text

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "identity")      # nanoae/models/dense.py
ENGINES = ("reference", "fast")                                          # nanoae/training/fit.py
ARM_NAMES = {"a": "a-pretrained", "b": "b-random", "c": "c-relu-adam"}    # nanoae/runs/hinton2006.py

SIZE = Int(1)
SEED = Int(0, 2**128)
ACTIVATION = Text(ACTIVATIONS)
NUMBERS = ListOf(Number())
VARIANCE = Number(1e-100, 1e100)        # a VAE's σ²: near 0, exp(−log σ²) overflows
RNG_STATE = Object({"bit_generator": Text(("PCG64",)),                   # NumPy's bit_generator.state
                    "state": Object({"state": Int(0, 2**128 - 1), "inc": Int(0, 2**128 - 1)}),
                    "has_uint32": Int(0, 1), "uinteger": Int(0, 2**32 - 1)})
HISTORY = Object({"train_loss": NUMBERS, "test_loss": ListOf(Either(NULL, Number())), "epoch_seconds": NUMBERS,
                  "samples_per_second": NUMBERS, "train_terms": MapOf(NUMBERS), "test_terms": MapOf(NUMBERS)})

# the model file's __config__, per kind of model (nanoae/models: dense.py, conv.py, vae.py)
MODEL_CONFIG = Tagged("arch", {
    "dense": Object({"arch": Text(), "sizes": ListOf(SIZE, 2), "hidden": ACTIVATION, "output": ACTIVATION,
                     "tied": BOOL}),
    "conv": Object({"arch": Text(), "sizes": ListOf(SIZE, 2, 2), "channels": ListOf(SIZE, 2, 2)}),
    "vae": Object({"arch": Text(), "sizes": ListOf(SIZE, 3), "hidden": ACTIVATION,
                   "likelihood": Text(("bernoulli", "gaussian")), "variance": Either(NULL, VARIANCE)},
                  optional={"strict": BOOL}),
})

# the settings every recipe's configuration shares (nanoae/runs: TrainConfig, VAEConfig, PretrainConfig)
SETTINGS = {"epochs": Int(0), "batch_size": SIZE, "lr": Number(positive=True), "seed": SEED,
            "backend": Text(BACKENDS), "dtype": Text(("float32", "float64")), "dataset": Text(DATASET_NAMES),
            "data_dir": Either(NULL, Text()), "download": BOOL, "checkpoint_every": Int(0), "engine": Text(ENGINES)}
TRAIN_CONFIG = {**SETTINGS, "sizes": ListOf(SIZE, 2), "hidden": ACTIVATION, "output": ACTIVATION, "tied": BOOL,
                "arch": Text(("dense", "conv")), "channels": ListOf(SIZE, 2, 2), "loss": Text(tuple(LOSSES)),
                "walk_index": Int(0), "l1": Number(0), "weight_decay": Number(0), "contractive": Number(0)}
VAE_CONFIG = {**SETTINGS, "sizes": ListOf(SIZE, 3), "hidden": ACTIVATION, "likelihood": Text(("bernoulli", "gaussian")),
              "variance": Either(NULL, VARIANCE), "beta": Number(0), "warmup_epochs": Int(0),
              "iw_samples": ListOf(Int(1))}
PRETRAIN_CONFIG = {**SETTINGS, "sizes": ListOf(SIZE, 3), "rbm_epochs": Int(0), "rbm_batch_size": SIZE,
                   "momentum": Number(0, 1), "adam_lr": Number(positive=True), "adam_batch_size": SIZE,
                   "arms": ListOf(Text(tuple(ARM_NAMES)), 1, 3)}

PRETRAIN_JSON = Object({}, optional=PRETRAIN_CONFIG)
RBM_HISTORY = Object({"reconstruction_error": NUMBERS, "free_energy": NUMBERS,
                      "held_out_free_energy": ListOf(Either(NULL, Number())), "epoch_seconds": NUMBERS})
ARM_RESULT = Object({"arm": Text(tuple(ARM_NAMES)), "name": Text(tuple(ARM_NAMES.values())),
                     "squared_error_per_image": Number(0), "5nn_accuracy": Number(0, 1),
                     "fine_tuning_seconds": Number(0), "wall_seconds_this_call": Number(0), "history": HISTORY})

# a checkpoint's meta; its configuration is the recipe's (model: ae, vae, rbm-stack; an arm of pretrain),
# or, from fit(config=...), a library user's own JSON object
ARM_CONFIG = Object({"model": Text(), "arm": Text(tuple(ARM_NAMES))})
CHECKPOINT_CONFIG = Tagged("model", {
    "ae": Tagged("arm", dict.fromkeys(ARM_NAMES, ARM_CONFIG), other=Object({"model": Text()}, TRAIN_CONFIG)),
    "vae": Object({"model": Text()}, VAE_CONFIG),
    "rbm-stack": Object({"model": Text(), "stage": Text(("pretrain",)), "rbm": Int(0), "rbm_epoch": Int(0),
                         "rbm_histories": ListOf(RBM_HISTORY)}, PRETRAIN_CONFIG),
}, other=Object({}, open=True))
CHECKPOINT_META = Object({
    "format": Text(), "version": Int(), "epoch": Int(1),
    "optimizer": Object({"class": Text(), "step_count": Int(0)}),
    "config": CHECKPOINT_CONFIG, "history": HISTORY,
    "rng": Object({"backend": Either(NULL, RNG_STATE), "batches": RNG_STATE}),
})

# metrics.json: each command writes its own results; what is read back (by walk) is the configuration's
# data set and loss
METRICS = Object({}, optional={"config": Object({}, optional={"dataset": Text(DATASET_NAMES),
                                                               "loss": Text(tuple(LOSSES))}, open=True)}, open=True)
