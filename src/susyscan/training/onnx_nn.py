"""ONNX graph of the torch MLP with the standardisation folded in (raw features -> score)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from susyscan.training.network import Classifier
from susyscan.training.standardise import Standardisation

ONNX_OPSET = 17
INPUT_NAME = "features"
OUTPUT_NAME = "score"
_ACTIVATION_OPS = {"sigmoid": "Sigmoid", "relu": "Relu", "tanh": "Tanh"}


def nn_graph(model: Classifier, standardisation: Standardisation) -> onnx.ModelProto:
    """Build Sub(mean) -> Div(std) -> [Gemm -> act]* -> Gemm -> Sigmoid -> Reshape(-1)."""
    n_inputs = model.config.n_inputs
    initializers = [
        numpy_helper.from_array(standardisation.mean.astype(np.float32), "mean"),
        numpy_helper.from_array(standardisation.std.astype(np.float32), "std"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat_shape"),
    ]
    nodes = [
        helper.make_node("Sub", [INPUT_NAME, "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "std"], ["h0"]),
    ]
    current = "h0"
    layers = model.linear_layers()
    for index, layer in enumerate(layers):
        weight = layer.weight.detach().cpu().numpy().astype(np.float32)
        bias = layer.bias.detach().cpu().numpy().astype(np.float32)
        initializers += [numpy_helper.from_array(weight, f"W{index}"), numpy_helper.from_array(bias, f"b{index}")]
        nodes.append(helper.make_node("Gemm", [current, f"W{index}", f"b{index}"], [f"z{index}"], transB=1))
        last = index == len(layers) - 1
        op = "Sigmoid" if last else _ACTIVATION_OPS[model.config.activation]
        nodes.append(helper.make_node(op, [f"z{index}"], [f"a{index}"]))
        current = f"a{index}"
    nodes.append(helper.make_node("Reshape", [current, "flat_shape"], [OUTPUT_NAME]))
    graph = helper.make_graph(
        nodes,
        "susyscan_nn",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", n_inputs])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N"])],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)], producer_name="susyscan")
