#!/usr/bin/python3
"""Writes nan-output/model.onnx: a graph that multiplies its input by NaN, for the NaN/Inf failure test.
Run: /usr/bin/python3 tests/MedNode.Analysis.Tests/TestModels/make_nan_model.py"""
import hashlib
import os

import onnx
from onnx import TensorProto, helper

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nan-output")
dims = ["n", 1, "d", "h", "w"]
graph = helper.make_graph(
    [helper.make_node("Mul", ["image", "nan"], ["logits"])],
    "nan_output",
    [helper.make_tensor_value_info("image", TensorProto.FLOAT, dims)],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, dims)],
    [helper.make_tensor("nan", TensorProto.FLOAT, [], [float("nan")])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="mednode-tests")
model.ir_version = 8
onnx.checker.check_model(model)
path = os.path.join(here, "model.onnx")
onnx.save(model, path)
print(hashlib.sha256(open(path, "rb").read()).hexdigest())
