"""Tiny ONNX classifiers built with the onnx helper API for the scan tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import onnx
from onnx import TensorProto, helper


def logistic_model(path: Path, feature_names: Sequence[str], feature: str, slope: float, offset: float,
                   threshold: float = 0.7, mass_region: str = "high", model_type: str = "nn") -> Path:
    """score = sigmoid(slope * x[feature] + offset), inputs (n, len(feature_names)) float32, with metadata."""
    index = list(feature_names).index(feature)
    nodes = [
        helper.make_node("Gather", ["x", "idx"], ["col"], axis=1),
        helper.make_node("Mul", ["col", "a"], ["ax"]),
        helper.make_node("Add", ["ax", "c"], ["z"]),
        helper.make_node("Sigmoid", ["z"], ["score"]),
    ]
    inits = [helper.make_tensor("idx", TensorProto.INT64, [1], [index]),
             helper.make_tensor("a", TensorProto.FLOAT, [], [slope]),
             helper.make_tensor("c", TensorProto.FLOAT, [], [offset])]
    graph = helper.make_graph(nodes, "logistic",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, len(feature_names)])],
                              [helper.make_tensor_value_info("score", TensorProto.FLOAT, [None, 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = {"feature_names": json.dumps(list(feature_names)), "mass_region": mass_region,
            "score_threshold": str(threshold), "training_data_hash": "test", "model_type": model_type}
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path

