"""What each saved JSON file may hold, and one validator that checks it before anything is used.

    pieces.py   the pieces a schema is built from (Int, Number, Text, ListOf, Object, …), ``check``,
                ``validate``, ``parse_json``, ``read_json``: a failure names the file and the field
    saved.py    one schema per saved file: the model file's configuration, a checkpoint's meta,
                ``pretrain.json``, an arm's ``result.json``, ``metrics.json``
"""
from nanoae.schema.pieces import SchemaError, check, parse_json, read_json, validate
from nanoae.schema.saved import (ACTIVATIONS, ARM_NAMES, ARM_RESULT, CHECKPOINT_META, ENGINES, METRICS, MODEL_CONFIG,
                                 PRETRAIN_JSON)

__all__ = ["ACTIVATIONS", "ARM_NAMES", "ARM_RESULT", "CHECKPOINT_META", "ENGINES", "METRICS", "MODEL_CONFIG",
           "PRETRAIN_JSON", "SchemaError", "check", "parse_json", "read_json", "validate"]
