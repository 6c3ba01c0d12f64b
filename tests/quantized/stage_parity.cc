#include "stage_parity.h"

#include <unistd.h>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "exporters/qm/from_ir.h"
#include "exporters/qm/to_ir.h"
#include "ops/elementwise.h"
#include "quant_sim.h"

namespace qc::test {

namespace {

struct Stage {
  ir::OpType op = ir::OpType::kQLinear;
  std::string node;                 // for messages
  std::vector<std::string> inputs;  // exposed activation inputs ("" = absent optional)
  std::string output;
  // QLinear
  size_t n = 0, k = 0;
  std::vector<int8_t> w_int;  // [n, k] (QEmbedding: [V, E] table values)
  std::vector<float> w_scale, bias;
  int granularity = 1, epilogue = 0;
  size_t groups = 1;  // act_groups
  float clip = 0, amax = 0;
  // QAttention
  size_t heads = 0;
  float scale = 0, mask_fill = -10000.0f;
};

std::vector<float> FloatsOf(const ir::Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.element_count()));
  std::memcpy(v.data(), t.raw_data(), v.size() * sizeof(float));
  return v;
}

Expected<const ir::Tensor*> ConstantInput(const ir::Graph& g, const ir::Node& node, size_t index, const char* what) {
  if (index >= node.inputs.size() || node.inputs[index] == ir::kNoValue) return nullptr;
  const ir::Value& v = g.value(node.inputs[index]);
  if (!v.constant) return InvalidArgument(node.name + ": " + what + " is not a constant");
  return &*v.constant;
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

std::string TempPath() {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() /
          ("qc_stage_parity_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".qm"))
      .string();
}

void NoteMismatch(StageTotals* t, const Stage& s, size_t index, float got, float want) {
  ++t->bit_mismatches;
  if (!t->first_mismatch.empty()) return;
  std::ostringstream m;
  m.precision(9);
  m << s.node << " element " << index << ": runtime " << got << ", contract " << want;
  t->first_mismatch = m.str();
}

}  // namespace

struct StageParityChecker::State {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Session> session;
  std::vector<Stage> stages;
};

StageParityChecker::StageParityChecker(std::unique_ptr<State> state) : state_(std::move(state)) {}
StageParityChecker::StageParityChecker(StageParityChecker&&) noexcept = default;
StageParityChecker& StageParityChecker::operator=(StageParityChecker&&) noexcept = default;
StageParityChecker::~StageParityChecker() = default;

size_t StageParityChecker::num_stages() const {
  return state_->stages.size();
}

Expected<StageParityChecker> StageParityChecker::Open(const std::string& qm_path, int threads) {
  QmImportOptions import_options;
  import_options.allow_quantized = true;
  QC_ASSIGN_OR_RETURN(QmImport imported, ImportQmFile(qm_path, import_options));
  ir::Graph& g = imported.graph;
  auto state = std::make_unique<State>();

  // Name (if unnamed) and expose a value: graph inputs are fed, everything else becomes an extra graph output.
  auto expose = [&g](ir::ValueId v) -> std::string {
    ir::Value& value = g.mutable_value(v);
    if (value.name.empty()) value.name = "stage_parity.%" + std::to_string(v);
    if (!g.IsGraphInput(v) && !g.IsGraphOutput(v)) g.mutable_outputs().push_back(v);
    return value.name;
  };
  for (const ir::Node& node : g.nodes()) {
    if (node.erased) continue;
    if (node.op != ir::OpType::kQLinear && node.op != ir::OpType::kQAttention &&
        node.op != ir::OpType::kQAttentionQkv && node.op != ir::OpType::kQEmbedding) {
      continue;
    }
    Stage s;
    s.op = node.op;
    s.node = node.name.empty() ? std::string(ir::OpTypeName(node.op)) : node.name;
    const ir::Attributes& a = node.attributes;
    if (node.op == ir::OpType::kQLinear) {
      s.inputs = {expose(node.inputs[0])};
      QC_ASSIGN_OR_RETURN(int64_t format, a.GetInt(ir::AttrName::kWeightFormat, s.node));
      QC_ASSIGN_OR_RETURN(int64_t k, a.GetInt(ir::AttrName::kInFeatures, s.node));
      QC_ASSIGN_OR_RETURN(int64_t n, a.GetInt(ir::AttrName::kOutFeatures, s.node));
      QC_ASSIGN_OR_RETURN(int64_t granularity, a.GetInt(ir::AttrName::kActGranularity, s.node));
      QC_ASSIGN_OR_RETURN(int64_t epilogue, a.GetInt(ir::AttrName::kEpilogue, s.node));
      QC_ASSIGN_OR_RETURN(double clip, a.GetFloat(ir::AttrName::kActClip, s.node));
      QC_ASSIGN_OR_RETURN(double amax, a.GetFloat(ir::AttrName::kActAmax, s.node));
      s.n = static_cast<size_t>(n);
      s.k = static_cast<size_t>(k);
      s.granularity = static_cast<int>(granularity);
      s.epilogue = static_cast<int>(epilogue);
      s.clip = static_cast<float>(clip);
      s.amax = static_cast<float>(amax);
      if (a.Has(ir::AttrName::kActGroups)) {
        QC_ASSIGN_OR_RETURN(int64_t groups, a.GetInt(ir::AttrName::kActGroups, s.node));
        s.groups = static_cast<size_t>(groups);
      }
      QC_ASSIGN_OR_RETURN(const ir::Tensor* weight, ConstantInput(g, node, 1, "weight"));
      QC_ASSIGN_OR_RETURN(const ir::Tensor* w_scale, ConstantInput(g, node, 2, "w_scale"));
      QC_ASSIGN_OR_RETURN(const ir::Tensor* bias, ConstantInput(g, node, 3, "bias"));
      if (weight == nullptr || w_scale == nullptr) return InvalidArgument(s.node + ": weight or w_scale missing");
      s.w_int = SimDecodeGroupedWeight(static_cast<int>(format), weight->raw_data(), s.n, s.k, s.groups);
      s.w_scale = FloatsOf(*w_scale);
      if (bias != nullptr) s.bias = FloatsOf(*bias);
    } else if (node.op == ir::OpType::kQAttention || node.op == ir::OpType::kQAttentionQkv) {
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        s.inputs.push_back(node.inputs[i] == ir::kNoValue ? std::string() : expose(node.inputs[i]));
      }
      QC_ASSIGN_OR_RETURN(int64_t heads, a.GetInt(ir::AttrName::kNumHeads, s.node));
      QC_ASSIGN_OR_RETURN(double scale, a.GetFloat(ir::AttrName::kScale, s.node));
      QC_ASSIGN_OR_RETURN(double clip, a.GetFloat(ir::AttrName::kActClip, s.node));
      if (a.Has(ir::AttrName::kMaskFill)) {
        QC_ASSIGN_OR_RETURN(double fill, a.GetFloat(ir::AttrName::kMaskFill, s.node));
        s.mask_fill = static_cast<float>(fill);
      }
      s.heads = static_cast<size_t>(heads);
      s.scale = static_cast<float>(scale);
      s.clip = static_cast<float>(clip);
    } else {  // QEmbedding: ids, table [V, E], scale [V]
      s.inputs = {expose(node.inputs[0])};
      QC_ASSIGN_OR_RETURN(const ir::Tensor* table, ConstantInput(g, node, 1, "table"));
      QC_ASSIGN_OR_RETURN(const ir::Tensor* scale, ConstantInput(g, node, 2, "scale"));
      if (table == nullptr || scale == nullptr || table->dims().size() != 2) {
        return InvalidArgument(s.node + ": table or scale missing");
      }
      s.n = static_cast<size_t>(table->dims()[0]);
      s.k = static_cast<size_t>(table->dims()[1]);
      const int bits = table->dtype() == ir::DType::kT2 ? 2 : (table->dtype() == ir::DType::kI4 ? 4 : 8);
      s.w_int = SimDecodeDenseTable(bits, table->raw_data(), s.n * s.k);
      s.w_scale = FloatsOf(*scale);
    }
    s.output = expose(node.outputs[0]);
    state->stages.push_back(std::move(s));
  }

  const std::string path = TempPath();
  QC_RETURN_IF_ERROR(ExportQm(g, imported.provenance, path));
  auto model = Model::Load(path);
  std::remove(path.c_str());  // the mapping stays valid after unlink
  if (!model.ok()) return model.status();
  state->model = std::move(model).value();
  SessionOptions options;
  options.num_threads = threads;
  QC_ASSIGN_OR_RETURN(Session session, Session::Create(state->model, options));
  state->session = std::make_unique<Session>(std::move(session));
  return StageParityChecker(std::move(state));
}

Expected<std::vector<NamedTensor>> StageParityChecker::Tokenize(const std::vector<std::string>& texts,
                                                                const std::vector<std::string>& pairs) const {
  return state_->session->Tokenize(texts, pairs);
}

namespace {

void CheckQLinear(const Stage& s, const HostTensor& x, const HostTensor& y, StageTotals* t) {
  const size_t m = x.floats.size() / s.k;
  const SimQLinearResult sim = SimQLinear(x.floats, m, s.k, s.n, s.groups, static_cast<SimGranularity>(s.granularity),
                                          s.clip, s.amax, s.w_int, s.w_scale, s.bias);
  const std::vector<double>& magnitude = sim.magnitude;
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < s.n; ++j) {
      const size_t e = i * s.n + j;
      float want = sim.exact[e];
      double fq = sim.fake[e], budget = 1e-5 * magnitude[e];
      if (s.epilogue == 1) GeluErf(&want, 1, &want), fq = SimGeluErf(fq);
      if (s.epilogue == 2) GeluTanh(&want, 1, &want), fq = SimGeluTanh(fq);
      const float got = y.floats[e];
      if (s.epilogue != 0) budget = 1.13 * budget + 2e-6 + 1e-5 * std::fabs(fq);  // GELU's slope and own budget
      if (Bits(got) != Bits(want)) NoteMismatch(t, s, e, got, want);
      const double deviation = std::fabs(static_cast<double>(got) - fq);
      if (!(deviation <= budget)) ++t->fq_violations;
      if (magnitude[e] > 0) t->max_fq_relative = std::max(t->max_fq_relative, deviation / magnitude[e]);
    }
  }
  t->elements += m * s.n;
}

std::vector<float> AsFloats(const HostTensor& h) {
  if (h.type == ElementType::kFloat32) return h.floats;
  return std::vector<float>(h.ints.begin(), h.ints.end());
}

// QAttention's inputs, or QAttentionQkv's qkv [B, S, 3H] cut into its q, k and v column ranges.
void CheckQAttention(const Stage& s, const std::vector<const HostTensor*>& in, const HostTensor& y, StageTotals* t) {
  const bool fused = s.op == ir::OpType::kQAttentionQkv;
  const HostTensor& first = *in[0];
  const size_t batch = static_cast<size_t>(first.shape[0]), seq = static_cast<size_t>(first.shape[1]),
               hidden = static_cast<size_t>(first.shape[2]) / (fused ? 3 : 1);
  std::vector<float> parts[3];
  for (size_t p = 0; p < 3; ++p) {
    if (!fused) {
      parts[p] = in[p]->floats;
      continue;
    }
    for (size_t row = 0; row < batch * seq; ++row) {
      const float* src = first.floats.data() + row * 3 * hidden + p * hidden;
      parts[p].insert(parts[p].end(), src, src + hidden);
    }
  }
  const size_t mask_input = fused ? 1 : 3;
  std::vector<float> mask;
  if (in.size() > mask_input && in[mask_input] != nullptr) mask = AsFloats(*in[mask_input]);
  const std::vector<float> want = SimQAttention(parts[0], parts[1], parts[2], mask.empty() ? nullptr : &mask, batch,
                                                seq, hidden, s.heads, s.scale, s.mask_fill, s.clip);
  for (size_t e = 0; e < want.size(); ++e) {
    if (Bits(y.floats[e]) != Bits(want[e])) NoteMismatch(t, s, e, y.floats[e], want[e]);
  }
  t->elements += want.size();
}

void CheckQEmbedding(const Stage& s, const HostTensor& ids, const HostTensor& y, StageTotals* t) {
  for (size_t r = 0; r < ids.ints.size(); ++r) {
    const auto v = static_cast<size_t>(ids.ints[r]);
    for (size_t c = 0; c < s.k; ++c) {
      const float want = s.w_scale[v] * static_cast<float>(s.w_int[v * s.k + c]);
      const size_t e = r * s.k + c;
      if (Bits(y.floats[e]) != Bits(want)) NoteMismatch(t, s, e, y.floats[e], want);
    }
  }
  t->elements += ids.ints.size() * s.k;
}

}  // namespace

Status StageParityChecker::Check(const std::vector<NamedTensor>& inputs, std::map<std::string, StageTotals>* totals) {
  QC_ASSIGN_OR_RETURN(std::vector<NamedTensor> outputs, state_->session->Run(inputs));
  std::map<std::string, const HostTensor*> by_name;
  for (const NamedTensor& t : inputs) by_name[t.name] = &t.tensor;
  for (const NamedTensor& t : outputs) by_name[t.name] = &t.tensor;
  auto find = [&](const std::string& name, const Stage& s) -> Expected<const HostTensor*> {
    if (name.empty()) return nullptr;
    auto it = by_name.find(name);
    if (it == by_name.end()) return NotFound(s.node + ": value '" + name + "' was not produced");
    return it->second;
  };
  for (const Stage& s : state_->stages) {
    std::vector<const HostTensor*> in;
    for (const std::string& name : s.inputs) {
      QC_ASSIGN_OR_RETURN(const HostTensor* h, find(name, s));
      in.push_back(h);
    }
    QC_ASSIGN_OR_RETURN(const HostTensor* y, find(s.output, s));
    StageTotals& t = (*totals)[std::string(ir::OpTypeName(s.op))];
    ++t.ops;
    if (s.op == ir::OpType::kQLinear) CheckQLinear(s, *in[0], *y, &t);
    if (s.op == ir::OpType::kQAttention || s.op == ir::OpType::kQAttentionQkv) CheckQAttention(s, in, *y, &t);
    if (s.op == ir::OpType::kQEmbedding) CheckQEmbedding(s, *in[0], *y, &t);
  }
  return Status::Ok();
}

}  // namespace qc::test
