// qm_stage_parity: checks every quantized op of a compressed .qm against the independent scalar simulation on real
// text (stage_parity.h). Used by tools/experiments/minilm_stage_parity.sh; not installed.
//
//   qm_stage_parity MODEL.qm TEXTS.txt [--batch N] [--limit N] [--threads N]
//
// TEXTS.txt: one text per line; a tab splits a line into a text pair. Prints one JSON object (per op type: ops,
// elements, bit mismatches, fake-quant violations, max relative deviation). Exit 0 when every element matches, 1
// when some do not, 2 on usage or input errors.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "stage_parity.h"

namespace {

int Fail(const std::string& message) {
  std::cerr << "qm_stage_parity: " << message << "\n";
  return 2;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  size_t batch = 16, limit = 0;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> long {
      if (i + 1 >= argc) return -1;
      return std::strtol(argv[++i], nullptr, 10);
    };
    if (arg == "--batch") {
      const long v = value();
      if (v <= 0) return Fail("--batch needs a positive integer");
      batch = static_cast<size_t>(v);
    } else if (arg == "--limit") {
      const long v = value();
      if (v < 0) return Fail("--limit needs a non-negative integer");
      limit = static_cast<size_t>(v);
    } else if (arg == "--threads") {
      const long v = value();
      if (v <= 0) return Fail("--threads needs a positive integer");
      threads = static_cast<int>(v);
    } else if (!arg.empty() && arg[0] == '-') {
      return Fail("unknown option " + arg +
                  "\nusage: qm_stage_parity MODEL.qm TEXTS.txt [--batch N] [--limit N] "
                  "[--threads N]");
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2)
    return Fail("usage: qm_stage_parity MODEL.qm TEXTS.txt [--batch N] [--limit N] [--threads N]");

  std::ifstream in(positional[1]);
  if (!in) return Fail(positional[1] + ": cannot open");
  std::vector<std::string> texts, pairs;
  bool any_pair = false;
  for (std::string line; std::getline(in, line) && (limit == 0 || texts.size() < limit);) {
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    texts.push_back(line.substr(0, tab));
    pairs.push_back(tab == std::string::npos ? std::string() : line.substr(tab + 1));
    any_pair = any_pair || tab != std::string::npos;
  }
  if (texts.empty()) return Fail(positional[1] + ": no texts");
  if (!any_pair) pairs.clear();

  auto checker = qc::test::StageParityChecker::Open(positional[0], threads);
  if (!checker.ok()) return Fail(checker.status().ToString());
  std::map<std::string, qc::test::StageTotals> totals;
  for (size_t start = 0; start < texts.size(); start += batch) {
    const size_t end = std::min(texts.size(), start + batch);
    const std::vector<std::string> t(texts.begin() + static_cast<long>(start), texts.begin() + static_cast<long>(end));
    std::vector<std::string> p;
    if (!pairs.empty()) p.assign(pairs.begin() + static_cast<long>(start), pairs.begin() + static_cast<long>(end));
    auto inputs = checker->Tokenize(t, p);
    if (!inputs.ok()) return Fail(positional[1] + ": " + inputs.status().ToString());
    const qc::Status checked = checker->Check(*inputs, &totals);
    if (!checked.ok()) return Fail(positional[0] + ": " + checked.ToString());
    std::cerr << "\rchecked " << end << "/" << texts.size() << " texts" << std::flush;
  }
  std::cerr << "\n";

  bool clean = true;
  std::cout << "{\"model\": " << JsonString(positional[0]) << ", \"texts\": " << texts.size()
            << ", \"batch\": " << batch << ", \"threads\": " << threads << ", \"stages\": " << checker->num_stages()
            << ", \"ops\": {";
  const char* sep = "";
  for (const auto& [op, t] : totals) {
    std::cout << sep << JsonString(op) << ": {\"ops\": " << t.ops << ", \"elements\": " << t.elements
              << ", \"bit_mismatches\": " << t.bit_mismatches << ", \"fq_violations\": " << t.fq_violations
              << ", \"max_fq_relative\": " << t.max_fq_relative
              << ", \"first_mismatch\": " << JsonString(t.first_mismatch) << "}";
    sep = ", ";
    clean = clean && t.bit_mismatches == 0 && t.fq_violations == 0;
  }
  std::cout << "}, \"clean\": " << (clean ? "true" : "false") << "}\n";
  return clean ? 0 : 1;
}
