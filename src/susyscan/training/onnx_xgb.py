"""xgboost (binary:logistic) -> ONNX through ``onnxmltools.convert_xgboost``, reduced to one ``score`` output (N,)."""

from __future__ import annotations

import json

import onnx
import xgboost as xgb
from onnx import helper

from susyscan.errors import ModelMetadataError
from susyscan.training.onnx_nn import INPUT_NAME, OUTPUT_NAME

#: Highest default-domain opset onnxmltools' xgboost converter supports.
CONVERTER_OPSET = 15


def check_objective(booster: xgb.Booster) -> None:
    """Only binary:logistic boosters are exported (the score is the signal probability)."""
    objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    if objective != "binary:logistic":
        raise ModelMetadataError(f"BDT export supports objective binary:logistic only, got {objective!r}")


def xgb_graph(booster: xgb.Booster, n_features: int) -> onnx.ModelProto:
    """onnxmltools' TreeEnsembleClassifier, then Slice(probability of class 1) -> Reshape(-1) as ``score``."""
    from onnxmltools import convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    check_objective(booster)
    if booster.feature_names is not None:
        raise ModelMetadataError(f"BDT trained on named columns {booster.feature_names[:3]}...; train on unnamed "
                                 "DMatrix columns (f0, f1, ...) so that the ONNX input order is the dataset's")
    model = convert_xgboost(booster, initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
                            target_opset=CONVERTER_OPSET)
    graph = model.graph
    probabilities = next(o.name for o in graph.output if o.name != "label")
    graph.initializer.extend([
        helper.make_tensor("class1", onnx.TensorProto.INT64, [1], [1]),
        helper.make_tensor("class1_end", onnx.TensorProto.INT64, [1], [2]),
        helper.make_tensor("class_axis", onnx.TensorProto.INT64, [1], [1]),
        helper.make_tensor("flat_shape", onnx.TensorProto.INT64, [1], [-1]),
    ])
    graph.node.extend([
        helper.make_node("Slice", [probabilities, "class1", "class1_end", "class_axis"], ["p_signal"]),
        helper.make_node("Reshape", ["p_signal", "flat_shape"], [OUTPUT_NAME]),
    ])
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(OUTPUT_NAME, onnx.TensorProto.FLOAT, ["N"]))
    if not any(op.domain in ("", "ai.onnx") for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid("", CONVERTER_OPSET))
    model.producer_name = "susyscan"
    return model
