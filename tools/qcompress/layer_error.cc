#include "qcompress/layer_error.h"

#include <algorithm>
#include <filesystem>

#include "exporters/qm/from_ir.h"
#include "qcompress/model_eval.h"
#include "qcompress/runtime.h"

namespace qc::tools {
namespace fs = std::filesystem;

namespace {

constexpr const char* kTapPrefix = "qc.layer_error.";

const ir::Node* FindLiveNode(const ir::Graph& graph, const std::string& name) {
  for (const ir::Node& n : graph.nodes()) {
    if (!n.erased && n.name == name && !n.outputs.empty()) return &n;
  }
  return nullptr;
}

// The single GELU reading `value`, if that is its only consumer.
const ir::Node* SoleGeluConsumer(const ir::Graph& graph, ir::ValueId value) {
  const ir::Node* gelu = nullptr;
  for (const ir::Node& n : graph.nodes()) {
    if (n.erased) continue;
    for (ir::ValueId in : n.inputs) {
      if (in != value) continue;
      if (n.op != ir::OpType::kGelu || gelu != nullptr) return nullptr;
      gelu = &n;
    }
  }
  return gelu;
}

bool HasEpilogue(const ir::Node& node) {
  const ir::AttrValue* v = node.attributes.Find(ir::AttrName::kEpilogue);
  return v != nullptr && std::holds_alternative<int64_t>(*v) && std::get<int64_t>(*v) != 0;
}

// Makes value `v` a graph output named kTapPrefix + index (the graph is a private copy).
void Tap(ir::Graph& graph, ir::ValueId v, size_t index) {
  for (ir::ValueId out : graph.outputs()) {
    if (out == v) return;  // already an output: keep its name, found below by value
  }
  graph.mutable_value(v).name = kTapPrefix + std::to_string(index);
  graph.mutable_outputs().push_back(v);
}

struct Tapped {
  std::vector<std::string> output_names;  ///< per layer index: the output name to read, "" when absent
};

Tapped AddTaps(ir::Graph& graph, const ir::Graph& compressed, const std::vector<std::string>& layers,
               bool reference) {
  Tapped t;
  t.output_names.resize(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const ir::Node* node = FindLiveNode(graph, layers[i]);
    const ir::Node* other = FindLiveNode(compressed, layers[i]);
    if (node == nullptr || other == nullptr) continue;
    ir::ValueId v = node->outputs[0];
    if (reference && HasEpilogue(*other)) {
      const ir::Node* gelu = SoleGeluConsumer(graph, v);
      if (gelu == nullptr) continue;
      v = gelu->outputs[0];
    }
    Tap(graph, v, i);
    t.output_names[i] = graph.value(v).name;
  }
  return t;
}

const HostTensor* FindOutput(const std::vector<NamedTensor>& outputs, const std::string& name) {
  for (const NamedTensor& t : outputs) {
    if (t.name == name) return &t.tensor;
  }
  return nullptr;
}

}  // namespace

Expected<std::map<std::string, report::ErrorStats>> MeasureLayerErrors(const ir::Graph& reference,
                                                                       const ir::Graph& compressed,
                                                                       const std::vector<std::string>& layers,
                                                                       const TaskData& task,
                                                                       const std::string& output_path, int threads,
                                                                       size_t max_examples) {
  ir::Graph ref = reference, cmp = compressed;
  const Tapped ref_taps = AddTaps(ref, compressed, layers, /*reference=*/true);
  const Tapped cmp_taps = AddTaps(cmp, compressed, layers, /*reference=*/false);
  const std::string ref_path = TempQmPath(output_path, "ref-layers"), cmp_path = TempQmPath(output_path, "layers");
  struct Cleanup {
    std::vector<std::string> paths;
    ~Cleanup() {
      std::error_code ec;
      for (const auto& p : paths) fs::remove(p, ec);
    }
  } cleanup{{ref_path, cmp_path}};
  qm::ProvenanceSpec provenance;
  provenance.producer_name = "qcompress";
  QC_RETURN_IF_ERROR(ExportQm(ref, provenance, ref_path));
  QC_RETURN_IF_ERROR(ExportQm(cmp, provenance, cmp_path));
  QC_ASSIGN_OR_RETURN(auto ref_model, Model::Load(ref_path));
  QC_ASSIGN_OR_RETURN(auto cmp_model, Model::Load(cmp_path));
  SessionOptions session_options;
  session_options.num_threads = std::max(1, threads);
  QC_ASSIGN_OR_RETURN(Session ref_session, Session::Create(ref_model, session_options));
  QC_ASSIGN_OR_RETURN(Session cmp_session, Session::Create(cmp_model, session_options));

  std::vector<report::ErrorAccumulator> acc(layers.size());
  std::vector<bool> seen(layers.size(), false);
  const size_t count = std::min(max_examples, task.eval.size());
  for (const std::vector<size_t>& rows : qat::SequentialBatches(count, 16)) {
    const qat::PaddedBatch b = qat::PadBatch(task.eval, rows, task.pad_id, task.pad_type_id);
    QC_ASSIGN_OR_RETURN(std::vector<NamedTensor> inputs, BatchInputsFor(*ref_model, b, "layer errors"));
    QC_ASSIGN_OR_RETURN(auto ref_out, ref_session.Run(inputs));
    QC_ASSIGN_OR_RETURN(auto cmp_out, cmp_session.Run(inputs));
    for (size_t i = 0; i < layers.size(); ++i) {
      if (ref_taps.output_names[i].empty() || cmp_taps.output_names[i].empty()) continue;
      const HostTensor* r = FindOutput(ref_out, ref_taps.output_names[i]);
      const HostTensor* c = FindOutput(cmp_out, cmp_taps.output_names[i]);
      if (r == nullptr || c == nullptr || r->shape != c->shape || r->type != ElementType::kFloat32) continue;
      // [batch, sequence, ...]: only the real tokens; anything else is compared whole.
      if (!b.mask.empty() && r->shape.size() >= 2 && r->shape[0] == b.batch && r->shape[1] == b.length) {
        const auto row = static_cast<size_t>(r->element_count() / (b.batch * b.length));
        for (size_t t = 0; t < b.mask.size(); ++t) {
          if (b.mask[t] == 0) continue;
          QC_RETURN_IF_ERROR(acc[i].Add(r->floats.data() + t * row, c->floats.data() + t * row, row));
        }
      } else {
        QC_RETURN_IF_ERROR(acc[i].Add(r->floats.data(), c->floats.data(), r->floats.size()));
      }
      seen[i] = true;
    }
  }
  std::map<std::string, report::ErrorStats> result;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!seen[i]) continue;
    QC_ASSIGN_OR_RETURN(result[layers[i]], acc[i].Result());
  }
  return result;
}

}  // namespace qc::tools
