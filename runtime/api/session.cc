#include <map>

#include "api/model_impl.h"
#include "core/thread_pool.h"
#include "exec/executor.h"

namespace qc {

struct Session::State {
  std::shared_ptr<const Model> model;
  SessionOptions options;
  std::unique_ptr<ThreadPool> pool;  // declared before the executor, which keeps a pointer to it
  exec::Executor executor;

  State(std::shared_ptr<const Model> m, const SessionOptions& o, std::unique_ptr<ThreadPool> p)
      : model(std::move(m)), options(o), pool(std::move(p)), executor(model->impl().plan, pool.get()) {}
};

namespace {

bool TypeAccepts(exec::ValueType declared, ElementType given) {
  switch (declared) {
    case exec::ValueType::kF32: return given == ElementType::kFloat32;
    case exec::ValueType::kI64:
    case exec::ValueType::kI32: return given == ElementType::kInt64 || given == ElementType::kInt32;
    case exec::ValueType::kPacked: return false;  // packed constants are never graph inputs
  }
  return false;
}

HostTensor ToHost(const exec::RtTensor& t) {
  HostTensor h;
  h.shape = t.dims;
  const int64_t n = t.count();
  if (t.is_float()) {
    h.type = ElementType::kFloat32;
    h.floats.assign(t.fdata(), t.fdata() + n);
  } else {
    h.type = t.type == exec::ValueType::kI32 ? ElementType::kInt32 : ElementType::kInt64;
    h.ints.assign(t.idata(), t.idata() + n);
  }
  return h;
}

}  // namespace

Session::Session(std::unique_ptr<State> state) : state_(std::move(state)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

const Model& Session::model() const { return *state_->model; }

Expected<Session> Session::Create(std::shared_ptr<const Model> model, const SessionOptions& options) {
  if (!model) return InvalidArgument("Session::Create: model is null");
  if (options.pad_to_length < 0 || options.max_length < 0) {
    return InvalidArgument("Session::Create: pad_to_length and max_length must be >= 0");
  }
  if (options.num_threads < 1 || options.num_threads > kMaxPoolThreads) {
    return InvalidArgument("Session::Create: num_threads is " + std::to_string(options.num_threads) + ", expected 1.." +
                           std::to_string(kMaxPoolThreads));
  }
  std::unique_ptr<ThreadPool> pool;
  if (options.num_threads > 1) {
    QC_ASSIGN_OR_RETURN(pool, ThreadPool::Create(options.num_threads));
  }
  return Session(std::make_unique<State>(std::move(model), options, std::move(pool)));
}

Expected<std::vector<NamedTensor>> Session::Run(const std::vector<NamedTensor>& inputs) {
  const Model::Impl& m = state_->model->impl();
  const exec::Plan& plan = m.plan;
  std::map<std::string, const HostTensor*> given;
  for (const NamedTensor& in : inputs) {
    if (!given.emplace(in.name, &in.tensor).second) return InvalidArgument("input '" + in.name + "' given twice");
  }
  std::vector<exec::RtTensor> bound(plan.inputs.size());
  std::map<std::string, int64_t> symbols;  // symbolic dimension -> size bound by the inputs
  for (size_t k = 0; k < plan.inputs.size(); ++k) {
    const ValueSignature& sig = m.inputs[k];
    auto it = given.find(sig.name);
    if (it == given.end()) return InvalidArgument("missing input '" + sig.name + "'");
    const HostTensor& t = *it->second;
    given.erase(it);
    const exec::ValueType declared = plan.value_types[plan.inputs[k]];
    if (!TypeAccepts(declared, t.type)) {
      return InvalidArgument("input '" + sig.name + "' is " + ElementTypeName(t.type) + ", the model expects " +
                             ElementTypeName(sig.type));
    }
    if (t.shape.size() != sig.dims.size()) {
      return InvalidArgument("input '" + sig.name + "' has rank " + std::to_string(t.shape.size()) +
                             ", the model expects " + std::to_string(sig.dims.size()));
    }
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] < 0) return InvalidArgument("input '" + sig.name + "' has a negative dimension");
      if (sig.dims[d] >= 0 && t.shape[d] != sig.dims[d]) {
        return InvalidArgument("input '" + sig.name + "' dimension " + std::to_string(d) + " is " +
                               std::to_string(t.shape[d]) + ", the model expects " + std::to_string(sig.dims[d]));
      }
      if (sig.dims[d] < 0) {
        auto [pos, inserted] = symbols.emplace(sig.dim_names[d], t.shape[d]);
        if (!inserted && pos->second != t.shape[d]) {
          return InvalidArgument("input '" + sig.name + "' dimension " + std::to_string(d) + " ('" +
                                 sig.dim_names[d] + "') is " + std::to_string(t.shape[d]) + " but another input set it to " +
                                 std::to_string(pos->second));
        }
      }
    }
    const size_t have = t.type == ElementType::kFloat32 ? t.floats.size() : t.ints.size();
    if (static_cast<int64_t>(have) != t.element_count()) {
      return InvalidArgument("input '" + sig.name + "' holds " + std::to_string(have) + " elements, its shape needs " +
                             std::to_string(t.element_count()));
    }
    exec::RtTensor& r = bound[k];
    r.type = declared == exec::ValueType::kF32 ? exec::ValueType::kF32 : exec::ValueType::kI64;
    r.dims = t.shape;
    if (t.type == ElementType::kFloat32) {
      r.ext_f = t.floats.data();
    } else {
      r.ext_i = t.ints.data();
    }
  }
  if (!given.empty()) return InvalidArgument("the model has no input named '" + given.begin()->first + "'");

  std::vector<exec::RtTensor> outputs;
  QC_RETURN_IF_ERROR(state_->executor.Run(std::move(bound), &outputs));
  std::vector<NamedTensor> result;
  result.reserve(outputs.size());
  for (size_t k = 0; k < outputs.size(); ++k) result.push_back({m.outputs[k].name, ToHost(outputs[k])});
  return result;
}

Expected<std::vector<NamedTensor>> Session::RunText(const std::vector<std::string>& texts,
                                                    const std::vector<std::string>& pairs) {
  QC_ASSIGN_OR_RETURN(std::vector<NamedTensor> inputs, Tokenize(texts, pairs));
  return Run(inputs);
}

Expected<std::vector<NamedTensor>> Session::Tokenize(const std::vector<std::string>& texts,
                                                     const std::vector<std::string>& pairs) const {
  const Model::Impl& m = state_->model->impl();
  if (!m.tokenizer) return FailedPrecondition(m.path + ": the model carries no tokenizer; pass token ids to Run()");
  if (texts.empty()) return InvalidArgument("RunText: no texts given");
  if (!pairs.empty() && pairs.size() != texts.size()) {
    return InvalidArgument("RunText: " + std::to_string(texts.size()) + " texts but " + std::to_string(pairs.size()) +
                           " pair texts");
  }
  EncodeOptions options;
  options.truncation.enabled = true;
  if (state_->options.max_length > 0) options.truncation.max_length = static_cast<size_t>(state_->options.max_length);
  if (state_->options.pad_to_length > 0) {
    options.padding.strategy = PaddingStrategy::kFixed;
    options.padding.length = static_cast<size_t>(state_->options.pad_to_length);
  } else {
    options.padding.strategy = PaddingStrategy::kLongest;
  }
  std::vector<Encoding> rows;
  if (pairs.empty()) {
    std::vector<std::string_view> views(texts.begin(), texts.end());
    QC_ASSIGN_OR_RETURN(rows, m.tokenizer->EncodeBatch(views, options));
  } else {
    std::vector<std::pair<std::string_view, std::string_view>> views;
    for (size_t i = 0; i < texts.size(); ++i) views.emplace_back(texts[i], pairs[i]);
    QC_ASSIGN_OR_RETURN(rows, m.tokenizer->EncodePairBatch(views, options));
  }
  const int64_t batch = static_cast<int64_t>(rows.size());
  const int64_t length = static_cast<int64_t>(rows[0].size());
  std::vector<int64_t> ids, mask, types;
  for (const Encoding& e : rows) {
    if (static_cast<int64_t>(e.size()) != length) return Internal("RunText: tokenizer rows differ in length");
    ids.insert(ids.end(), e.ids.begin(), e.ids.end());
    mask.insert(mask.end(), e.attention_mask.begin(), e.attention_mask.end());
    types.insert(types.end(), e.token_type_ids.begin(), e.token_type_ids.end());
  }
  std::vector<NamedTensor> inputs;
  for (const ValueSignature& sig : m.inputs) {
    if (sig.name == "input_ids") {
      inputs.push_back({sig.name, HostTensor::Int64({batch, length}, ids)});
    } else if (sig.name == "attention_mask") {
      inputs.push_back({sig.name, HostTensor::Int64({batch, length}, mask)});
    } else if (sig.name == "token_type_ids") {
      inputs.push_back({sig.name, HostTensor::Int64({batch, length}, types)});
    } else {
      return Unsupported(m.path + ": RunText cannot fill model input '" + sig.name + "'");
    }
  }
  return inputs;
}

}  // namespace qc
