"""xgboost (binary:logistic) -> ONNX ai.onnx.ml TreeEnsembleRegressor + Sigmoid, from the JSON tree dump."""

from __future__ import annotations

import json
import math
import re

import onnx
import xgboost as xgb
from onnx import TensorProto, helper

from susyscan.errors import ModelMetadataError
from susyscan.training.onnx_nn import INPUT_NAME, ONNX_OPSET, OUTPUT_NAME

ML_OPSET = 3


def base_margin(booster: xgb.Booster) -> float:
    """The margin added to the tree sum: logit(base_score) for binary:logistic."""
    config = json.loads(booster.save_config())
    objective = config["learner"]["objective"]["name"]
    if objective != "binary:logistic":
        raise ModelMetadataError(f"BDT export supports objective binary:logistic only, got {objective!r}")
    raw = str(config["learner"]["learner_model_param"]["base_score"]).strip("[]").split(",")[0]
    probability = float(raw)
    return math.log(probability / (1.0 - probability))


def _feature_index(split: str) -> int:
    match = re.fullmatch(r"f(\d+)", split)
    if match is None:
        raise ModelMetadataError(
            f"BDT split on named feature {split!r}; train on unnamed DMatrix columns (f0, f1, ...)"
        )
    return int(match.group(1))


def _collect(node: dict, tree_id: int, attrs: dict[str, list]) -> None:
    """Append one node (and, recursively, its children) to the TreeEnsemble attribute lists."""
    attrs["nodes_treeids"].append(tree_id)
    attrs["nodes_nodeids"].append(node["nodeid"])
    if "leaf" in node:
        attrs["nodes_modes"].append("LEAF")
        for key in ("nodes_featureids", "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true"):
            attrs[key].append(0)
        attrs["nodes_values"].append(0.0)
        attrs["target_treeids"].append(tree_id)
        attrs["target_nodeids"].append(node["nodeid"])
        attrs["target_ids"].append(0)
        attrs["target_weights"].append(float(node["leaf"]))
        return
    attrs["nodes_modes"].append("BRANCH_LT")
    attrs["nodes_featureids"].append(_feature_index(node["split"]))
    attrs["nodes_values"].append(float(node["split_condition"]))
    attrs["nodes_truenodeids"].append(node["yes"])
    attrs["nodes_falsenodeids"].append(node["no"])
    attrs["nodes_missing_value_tracks_true"].append(int(node.get("missing") == node["yes"]))
    for child in node["children"]:
        _collect(child, tree_id, attrs)


def xgb_graph(booster: xgb.Booster, n_features: int) -> onnx.ModelProto:
    """Build TreeEnsembleRegressor(sum of leaves + base margin) -> Sigmoid -> Reshape(-1)."""
    keys = (
        "nodes_treeids nodes_nodeids nodes_modes nodes_featureids nodes_values nodes_truenodeids "
        "nodes_falsenodeids nodes_missing_value_tracks_true target_treeids target_nodeids target_ids target_weights"
    ).split()
    attrs: dict[str, list] = {key: [] for key in keys}
    for tree_id, dump in enumerate(booster.get_dump(dump_format="json")):
        _collect(json.loads(dump), tree_id, attrs)
    ensemble = helper.make_node(
        "TreeEnsembleRegressor",
        [INPUT_NAME],
        ["margin"],
        domain="ai.onnx.ml",
        n_targets=1,
        aggregate_function="SUM",
        post_transform="NONE",
        base_values=[base_margin(booster)],
        **attrs,
    )
    nodes = [
        ensemble,
        helper.make_node("Sigmoid", ["margin"], ["probability"]),
        helper.make_node("Reshape", ["probability", "flat_shape"], [OUTPUT_NAME]),
    ]
    graph = helper.make_graph(
        nodes,
        "susyscan_bdt",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", n_features])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N"])],
        [helper.make_tensor("flat_shape", TensorProto.INT64, [1], [-1])],
    )
    opsets = [helper.make_opsetid("", ONNX_OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="susyscan")
