"""One ONNX graph from one xgboost binary classifier per signal region.

Each region's classifier is converted by onnxmltools (``convert_xgboost``: TreeEnsembleClassifier); the graphs
are prefixed (``onnx.compose.add_prefix``), fed from one shared input, and the probability of class 1 of each
is concatenated into one ``[n, n_regions]`` output.  A region with too few positive training events gets a
constant probability (its training rate) instead of a classifier.  The regions overlap, so one binary model per
region is used rather than one multiclass model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper

INPUT_NAME = "truth_features"
OUTPUT_NAME = "probabilities"
TARGET_OPSET = 15
ML_OPSET = 3


def convert_classifier(model: object, n_inputs: int) -> onnx.ModelProto:
    """onnxmltools conversion of a fitted ``xgboost.XGBClassifier`` (float32 input ``INPUT_NAME``)."""
    from onnxmltools import convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    return convert_xgboost(model, initial_types=[(INPUT_NAME, FloatTensorType([None, n_inputs]))],
                           target_opset=TARGET_OPSET)


def merge_region_models(parts: Sequence[onnx.ModelProto | float], region_names: Sequence[str], n_inputs: int,
                        metadata: Mapping[str, str]) -> onnx.ModelProto:
    """Merged model: input ``INPUT_NAME`` float32 [n, n_inputs], output ``OUTPUT_NAME`` float32 [n, n_regions].

    ``parts[i]`` is the converted classifier of region i, or a float: its constant probability."""
    nodes: list[onnx.NodeProto] = []
    initializers: list[onnx.TensorProto] = []
    columns: list[str] = []
    one = helper.make_tensor("col_start", TensorProto.INT64, [1], [1])
    two = helper.make_tensor("col_end", TensorProto.INT64, [1], [2])
    axis = helper.make_tensor("col_axis", TensorProto.INT64, [1], [1])
    initializers += [one, two, axis]
    for i, part in enumerate(parts):
        prefix = f"r{i}_"
        column = f"{prefix}p1"
        if isinstance(part, onnx.ModelProto):
            graph = onnx.compose.add_prefix(part, prefix).graph
            nodes.append(helper.make_node("Identity", [INPUT_NAME], [prefix + INPUT_NAME], name=f"{prefix}input"))
            nodes += list(graph.node)
            initializers += list(graph.initializer)
            probabilities = [o.name for o in graph.output if o.name.endswith("probabilities")]
            if len(probabilities) != 1:
                raise ValueError(f"region {region_names[i]!r}: converted model has outputs "
                                 f"{[o.name for o in graph.output]}, expected one 'probabilities'")
            nodes.append(helper.make_node("Slice", [probabilities[0], "col_start", "col_end", "col_axis"], [column],
                                          name=f"{prefix}class1"))
        else:
            const = helper.make_tensor(f"{prefix}const", TensorProto.FLOAT, [1, 1], [float(part)])
            initializers.append(const)
            # [n, 1] filled with the constant: 0 * first input column + constant
            nodes.append(helper.make_node("Slice", [INPUT_NAME, "col_start", "col_end", "col_axis"],
                                          [f"{prefix}x1"], name=f"{prefix}first"))
            nodes.append(helper.make_node("Mul", [f"{prefix}x1", f"{prefix}zero"], [f"{prefix}x0"],
                                          name=f"{prefix}zero_mul"))
            initializers.append(helper.make_tensor(f"{prefix}zero", TensorProto.FLOAT, [1, 1], [0.0]))
            nodes.append(helper.make_node("Add", [f"{prefix}x0", f"{prefix}const"], [column], name=f"{prefix}add"))
        columns.append(column)
    nodes.append(helper.make_node("Concat", columns, [OUTPUT_NAME], axis=1, name="concat_regions"))
    graph = helper.make_graph(
        nodes, "surrogate_efficiency",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [None, n_inputs])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [None, len(parts)])],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", TARGET_OPSET),
                                                    helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
                              producer_name="susyscan.surrogate")
    model.ir_version = min(model.ir_version, 8)
    for key, text in metadata.items():
        prop = model.metadata_props.add()
        prop.key, prop.value = key, text
    onnx.checker.check_model(model)
    return model


def run_onnx(model: onnx.ModelProto | bytes | str, x: np.ndarray) -> np.ndarray:
    """Evaluate a merged model with onnxruntime (one thread)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else model
    session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    return session.run([OUTPUT_NAME], {INPUT_NAME: np.asarray(x, dtype=np.float32)})[0]
