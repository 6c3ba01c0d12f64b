// tests/importers_onnx/onnx_model_builder.h: hand-built ONNX ModelProtos for importer tests.
//
//   OnnxModelBuilder b(14);
//   b.Input("x", onnx::TensorProto::FLOAT, {"batch", 8});
//   b.Init("w", {8, 4}, std::vector<float>(32, 0.5f));
//   b.Node("MatMul", {"x", "w"}, {"y"}, "/mm");
//   b.Output("y");
//   auto result = qc::onnx_import::ImportOnnxModel(b.model, "");
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace qc::test {

class OnnxModelBuilder {
 public:
  explicit OnnxModelBuilder(int64_t opset = 14, const std::string& producer = "qc-test",
                            const std::string& version = "1.0") {
    model.set_ir_version(8);
    model.set_producer_name(producer);
    model.set_producer_version(version);
    Opset("", opset);
    model.mutable_graph()->set_name("test");
  }

  void Opset(const std::string& domain, int64_t version) {
    auto* op = model.add_opset_import();
    op->set_domain(domain);
    op->set_version(version);
  }

  void Input(const std::string& name, int32_t elem_type, const std::vector<std::variant<int64_t, std::string>>& dims) {
    auto* in = model.mutable_graph()->add_input();
    in->set_name(name);
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    auto* shape = tt->mutable_shape();
    for (const auto& d : dims) {
      auto* dim = shape->add_dim();
      if (std::holds_alternative<int64_t>(d)) {
        dim->set_dim_value(std::get<int64_t>(d));
      } else {
        dim->set_dim_param(std::get<std::string>(d));
      }
    }
  }

  void Output(const std::string& name, int32_t elem_type = onnx::TensorProto::FLOAT) {
    auto* out = model.mutable_graph()->add_output();
    out->set_name(name);
    out->mutable_type()->mutable_tensor_type()->set_elem_type(elem_type);
  }

  onnx::TensorProto& Init(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values) {
    auto* t = model.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
    return *t;
  }

  onnx::TensorProto& InitInt(const std::string& name, const std::vector<int64_t>& dims,
                             const std::vector<int64_t>& values) {
    auto* t = model.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    for (int64_t v : values) t->add_int64_data(v);
    return *t;
  }

  /// A scalar float initializer.
  void Scalar(const std::string& name, float value) { Init(name, {}, {value}); }

  onnx::NodeProto& Node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "",
                        const std::string& domain = "") {
    auto* n = model.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    n->set_domain(domain);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }

  static void AttrInt(onnx::NodeProto& n, const std::string& name, int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void AttrFloat(onnx::NodeProto& n, const std::string& name, float v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void AttrInts(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void AttrString(onnx::NodeProto& n, const std::string& name, const std::string& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }

  onnx::ModelProto model;
};

}  // namespace qc::test
