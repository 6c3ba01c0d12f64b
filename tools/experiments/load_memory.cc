// tools/experiments/load_memory.cc: how much memory Model::Load and one inference take, from /proc/self/status.
//
//   load_memory MODEL.qm [--seq N]      (built and run by tools/experiments/load_memory.sh)
//
// Prints one JSON object: the file size and, at each stage (start, after Model::Load, after Session::Create, after
// one Session::Run of batch 1 x seq N token ids), VmRSS / RssAnon / RssFile / RssShmem / VmHWM in bytes. The model
// must take input_ids (and optionally attention_mask / token_type_ids) as int64 [batch, sequence]. An experiment,
// not a test: it asserts nothing and the numbers go to docs/results/load-memory.md.
#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "qcompress/runtime.h"

namespace {

// Fields of /proc/self/status that are in kB, returned in bytes.
std::map<std::string, int64_t> ReadStatus() {
  std::map<std::string, int64_t> out;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    if (key != "VmRSS" && key != "RssAnon" && key != "RssFile" && key != "RssShmem" && key != "VmHWM" &&
        key != "VmSize") {
      continue;
    }
    std::istringstream value(line.substr(colon + 1));
    int64_t kb = 0;
    value >> kb;
    out[key] = kb * 1024;
  }
  return out;
}

std::string StageJson(const char* name) {
  const auto s = ReadStatus();
  std::ostringstream o;
  o << "{\"stage\": \"" << name << "\"";
  for (const char* key : {"VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM", "VmSize"}) {
    const auto it = s.find(key);
    o << ", \"" << key << "\": " << (it == s.end() ? -1 : it->second);
  }
  o << "}";
  return o.str();
}

int Fail(const std::string& what, const qc::Status& status) {
  std::cerr << "load_memory: " << what << ": " << status.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  int64_t seq = 128;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seq") == 0 && i + 1 < argc) {
      seq = std::atoll(argv[++i]);
    } else if (path.empty()) {
      path = argv[i];
    } else {
      std::cerr << "usage: load_memory MODEL.qm [--seq N]\n";
      return 2;
    }
  }
  if (path.empty() || seq < 2) {
    std::cerr << "usage: load_memory MODEL.qm [--seq N]\n";
    return 2;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    std::cerr << "load_memory: cannot stat " << path << ": " << std::strerror(errno) << "\n";
    return 1;
  }

  // The preamble (docs/qm-format.md section 2): graph_length @20 (u32), blob_offset @24, blob_length @32 (u64 LE).
  // Read with a plain read() before anything is mapped, so it costs no resident page of the mapping.
  uint8_t preamble[64] = {};
  {
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(preamble), sizeof preamble);
    if (in.gcount() != static_cast<std::streamsize>(sizeof preamble)) {
      std::cerr << "load_memory: " << path << ": shorter than a .qm preamble\n";
      return 1;
    }
  }
  auto le = [&](int offset, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | preamble[offset + i];
    return static_cast<int64_t>(v);
  };
  const int64_t graph_length = le(20, 4), blob_offset = le(24, 8), blob_length = le(32, 8);

  std::vector<std::string> stages;
  stages.push_back(StageJson("start"));

  auto model = qc::Model::Load(path);
  if (!model.ok()) return Fail("Model::Load", model.status());
  stages.push_back(StageJson("after_load"));

  auto session = qc::Session::Create(*model);
  if (!session.ok()) return Fail("Session::Create", session.status());
  stages.push_back(StageJson("after_session_create"));

  // Deterministic token ids: [CLS] w... [SEP] with w drawn from the ordinary-word range of a BERT vocabulary.
  std::vector<int64_t> ids(static_cast<size_t>(seq));
  uint32_t state = 12345;
  for (int64_t i = 0; i < seq; ++i) {
    state = state * 1664525u + 1013904223u;
    ids[static_cast<size_t>(i)] = 1000 + static_cast<int64_t>((state >> 8) % 28000u);
  }
  ids.front() = 101;
  ids.back() = 102;
  std::vector<qc::NamedTensor> inputs;
  for (const qc::ValueSignature& sig : (*model)->inputs()) {
    if (sig.name == "input_ids") {
      inputs.push_back({sig.name, qc::HostTensor::Int64({1, seq}, ids)});
    } else if (sig.name == "attention_mask") {
      inputs.push_back({sig.name, qc::HostTensor::Int64({1, seq}, std::vector<int64_t>(ids.size(), 1))});
    } else if (sig.name == "token_type_ids") {
      inputs.push_back({sig.name, qc::HostTensor::Int64({1, seq}, std::vector<int64_t>(ids.size(), 0))});
    } else {
      std::cerr << "load_memory: cannot fill model input '" << sig.name << "'\n";
      return 1;
    }
  }
  auto outputs = session->Run(inputs);
  if (!outputs.ok()) return Fail("Session::Run", outputs.status());
  stages.push_back(StageJson("after_run"));

  // Summarise the outputs so a broken run (NaN, empty) is visible in the record.
  std::ostringstream outs;
  outs << "[";
  for (size_t i = 0; i < outputs->size(); ++i) {
    const qc::NamedTensor& o = (*outputs)[i];
    bool finite = true;
    for (float v : o.tensor.floats) finite = finite && std::isfinite(v);
    outs << (i ? ", " : "") << "{\"name\": \"" << o.name << "\", \"shape\": [";
    for (size_t d = 0; d < o.tensor.shape.size(); ++d) outs << (d ? ", " : "") << o.tensor.shape[d];
    outs << "], \"all_finite\": " << (finite ? "true" : "false") << "}";
  }
  outs << "]";

  std::cout << "{\"file\": \"" << path << "\", \"file_bytes\": " << static_cast<int64_t>(st.st_size)
            << ", \"graph_bytes\": " << graph_length << ", \"blob_offset\": " << blob_offset
            << ", \"blob_bytes\": " << blob_length << ", \"seq\": " << seq << ", \"outputs\": " << outs.str()
            << ", \"stages\": [\n  ";
  for (size_t i = 0; i < stages.size(); ++i) std::cout << (i ? ",\n  " : "") << stages[i];
  std::cout << "\n]}\n";
  return 0;
}
