#include "qcrun/eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "qat/data/image_files.h"
#include "qcompress/runtime.h"
#include "qcrun/images.h"

namespace qc::tools {
namespace {

struct Table {
  std::vector<std::vector<std::string>> rows;  // every line of the file, split on tabs
};

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> cells;
  size_t start = 0;
  for (;;) {
    const size_t tab = line.find('\t', start);
    cells.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return cells;
    start = tab + 1;
  }
}

Expected<Table> ReadTsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open the data file");
  Table t;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    t.rows.push_back(SplitTabs(line));
  }
  if (in.bad()) return IoError(path + ": read error");
  if (t.rows.empty()) return InvalidArgument(path + ": no rows");
  return t;
}

struct Columns {
  std::vector<size_t> text;
  size_t label = 0;
  bool header = false;
  std::vector<std::string> names;  // for the report: header names or "column N"
};

std::optional<size_t> HeaderIndex(const std::vector<std::string>& header, const std::string& name) {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) return std::nullopt;
  return static_cast<size_t>(it - header.begin());
}

bool IsIndex(const std::string& s) {
  return !s.empty() && s.size() < 6 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Expected<Columns> DetectColumns(const Table& t, const std::string& path) {
  const std::vector<std::string>& header = t.rows[0];
  Columns c;
  for (const char* name : {"label", "gold_label", "is_duplicate", "Quality"}) {
    if (auto i = HeaderIndex(header, name)) {
      c.label = *i;
      c.header = true;
      break;
    }
  }
  if (c.header) {
    const std::vector<std::vector<std::string>> text_sets = {{"sentence1", "sentence2"},
                                                             {"question", "sentence"},
                                                             {"question1", "question2"},
                                                             {"#1 String", "#2 String"},
                                                             {"premise", "hypothesis"},
                                                             {"sentence"},
                                                             {"text"}};
    for (const auto& set : text_sets) {
      std::vector<size_t> idx;
      for (const std::string& name : set) {
        if (auto i = HeaderIndex(header, name)) idx.push_back(*i);
      }
      if (idx.size() == set.size()) {
        c.text = idx;
        c.names = set;
        c.names.push_back(header[c.label]);
        return c;
      }
    }
    return InvalidArgument(path + ": the header names a label column ('" + header[c.label] +
                           "') but no known text column; give --text-col");
  }
  // CoLA: no header; source, label (0/1), original judgement ('*' or empty), sentence.
  const bool cola = std::all_of(t.rows.begin(), t.rows.end(), [](const std::vector<std::string>& r) {
    return r.size() == 4 && (r[1] == "0" || r[1] == "1");
  });
  if (cola) {
    c.text = {3};
    c.label = 1;
    c.names = {"column 3", "column 1"};
    return c;
  }
  return InvalidArgument(path +
                         ": cannot detect the text and label columns (no known header, not the CoLA layout); "
                         "give --text-col and --label-col");
}

// Explicit columns: 0-based indices (the file may still have a header row, recognised by its label cell not being
// a label) or header names (the file must have that header).
Expected<Columns> ExplicitColumns(const Table& t, const EvalOptions& o, const std::vector<std::string>& label_names) {
  Columns c;
  std::vector<std::string> specs = o.text_cols;
  specs.push_back(o.label_col);
  std::vector<size_t> idx;
  for (const std::string& spec : specs) {
    if (IsIndex(spec)) {
      idx.push_back(static_cast<size_t>(std::stoul(spec)));
      c.names.push_back("column " + spec);
    } else if (auto i = HeaderIndex(t.rows[0], spec)) {
      idx.push_back(*i);
      c.names.push_back(spec);
      c.header = true;
    } else {
      return InvalidArgument(o.data + ": no column named '" + spec + "' in the header");
    }
  }
  c.label = idx.back();
  idx.pop_back();
  c.text = idx;
  if (!c.header && c.label < t.rows[0].size()) {
    const std::string& cell = t.rows[0][c.label];
    const bool is_label = IsIndex(cell) || std::find(label_names.begin(), label_names.end(), cell) != label_names.end();
    c.header = !is_label;
  }
  return c;
}

// Class index of a label cell: a label name of the model, else an integer class index.
Expected<int64_t> LabelIndex(const std::string& cell, const std::vector<std::string>& names, int64_t classes) {
  const auto it = std::find(names.begin(), names.end(), cell);
  if (it != names.end()) return static_cast<int64_t>(it - names.begin());
  if (IsIndex(cell)) {
    const int64_t i = std::stoll(cell);
    if (i < classes) return i;
    return OutOfRange("label " + cell + " is not a class of this " + std::to_string(classes) + "-class model");
  }
  if (names.empty()) {
    return InvalidArgument("label '" + cell + "' is a name but the model has no labels.names metadata");
  }
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  return InvalidArgument("label '" + cell + "' is not one of the model's labels (" + known + ")");
}

// The classifier output: [batch, classes] float, "logits" preferred; embedding outputs of the same rank are not.
const NamedTensor* Logits(const std::vector<NamedTensor>& outputs, int64_t rows) {
  const NamedTensor* found = nullptr;
  for (const NamedTensor& o : outputs) {
    const auto& s = o.tensor.shape;
    if (o.tensor.type != ElementType::kFloat32 || s.size() != 2 || s[0] != rows || s[1] < 2) continue;
    if (o.name == "sentence_embedding" || o.name == "pooler_output" || o.name == "embeddings") continue;
    if (o.name == "logits") return &o;
    if (found == nullptr) found = &o;
  }
  return found;
}

int Fail(std::ostream& err, const std::string& message) {
  err << "qcrun eval: error: " << message << "\n";
  return 1;
}

// The first batch's classifier output fixes the class count (checked against the model's label names); every
// batch adds its arg-max predictions to confusion[gold][predicted]. Returns an error message, or "".
std::string Tally(const NamedTensor& logits, const std::vector<int64_t>& gold, const std::vector<std::string>& names,
                  const std::string& model_path, std::vector<std::vector<int64_t>>& confusion) {
  const int64_t classes = logits.tensor.shape[1];
  if (confusion.empty()) {
    if (!names.empty() && static_cast<size_t>(classes) != names.size()) {
      return model_path + ": output '" + logits.name + "' has " + std::to_string(classes) +
             " classes but the model names " + std::to_string(names.size()) + " labels";
    }
    confusion.assign(static_cast<size_t>(classes), std::vector<int64_t>(static_cast<size_t>(classes), 0));
  }
  for (size_t b = 0; b < gold.size(); ++b) {
    const float* row = logits.tensor.floats.data() + static_cast<int64_t>(b) * classes;
    const int64_t predicted = std::max_element(row, row + classes) - row;
    ++confusion[static_cast<size_t>(gold[b])][static_cast<size_t>(predicted)];
  }
  return {};
}

int PrintResult(const EvalOptions& o, const std::vector<std::vector<int64_t>>& confusion,
                const std::vector<std::string>& names, double seconds, nlohmann::ordered_json columns,
                const std::string& described, std::ostream& out) {
  const ClassMetrics m = ComputeMetrics(confusion);
  const auto classes = static_cast<int64_t>(confusion.size());
  nlohmann::ordered_json j;
  j["model"] = o.path;
  j["data"] = o.data;
  j["columns"] = std::move(columns);
  j["examples"] = m.examples;
  j["classes"] = classes;
  if (static_cast<size_t>(classes) == names.size()) j["labels"] = names;
  j["accuracy"] = m.accuracy;
  if (m.mcc) j["mcc"] = *m.mcc;
  if (m.f1) j["f1"] = *m.f1;
  j["confusion"] = confusion;
  j["seconds"] = seconds;
  if (o.json) {
    out << j.dump(2) << "\n";
    return 0;
  }
  out << "examples: " << m.examples << " (" << o.data << ", " << described << ")\n";
  out << "accuracy: " << m.accuracy << " (" << m.correct << "/" << m.examples << ")\n";
  if (m.mcc && m.f1) {
    out << "mcc:      " << *m.mcc << "\n";
    out << "f1:       " << *m.f1 << " (class 1" << (names.size() == 2 ? " = " + names[1] : "") << ")\n";
  }
  out << "confusion (rows gold, columns predicted): " << j["confusion"].dump() << "\n";
  out << "time:     " << seconds << " s\n";
  return 0;
}

// An image classifier on an ImageFolder (DIR/<class>/*.png|jpg): class folders map to the model's label names, or
// numbered folders to their number (qat/data/image_files.h, as qcompress --eval reads them).
int RunImageEval(const EvalOptions& o, const std::shared_ptr<const Model>& model, std::ostream& out,
                 std::ostream& err) {
  auto spec = model->image_spec();
  if (!spec.ok()) return Fail(err, o.path + ": " + o.data + " is a folder of images, but " + spec.status().message());
  const std::vector<std::string>& names = model->label_names();
  std::vector<std::string> classes;
  auto files = qat::ListImageFolder(o.data, names, &classes);
  if (!files.ok()) return Fail(err, files.status().ToString());
  size_t end = files->size();
  if (o.limit > 0) end = std::min(end, static_cast<size_t>(o.limit));
  SessionOptions session_options;
  session_options.num_threads = o.threads;
  auto session = Session::Create(model, session_options);
  if (!session.ok()) return Fail(err, session.status().ToString());
  std::vector<std::vector<int64_t>> confusion;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t start = 0; start < end; start += static_cast<size_t>(o.batch)) {
    const size_t stop = std::min(end, start + static_cast<size_t>(o.batch));
    std::vector<std::string> paths;
    std::vector<int64_t> gold;
    for (size_t i = start; i < stop; ++i) {
      paths.push_back((*files)[i].path);
      gold.push_back((*files)[i].label);
    }
    auto pixels = LoadImageBatch(paths, *spec);
    if (!pixels.ok()) return Fail(err, pixels.status().ToString());
    auto outputs = session->RunImages(*pixels);
    if (!outputs.ok()) return Fail(err, paths.front() + ": " + outputs.status().ToString());
    const NamedTensor* logits = Logits(*outputs, static_cast<int64_t>(paths.size()));
    if (logits == nullptr) return Fail(err, o.path + ": no [batch, classes] float output to classify with");
    for (size_t i = 0; i < gold.size(); ++i) {
      if (gold[i] >= logits->tensor.shape[1]) {
        return Fail(err, paths[i] + ": class " + std::to_string(gold[i]) + " (folder '" +
                             classes[static_cast<size_t>(gold[i])] + "') is not a class of this " +
                             std::to_string(logits->tensor.shape[1]) + "-class model");
      }
    }
    if (std::string e = Tally(*logits, gold, names, o.path, confusion); !e.empty()) return Fail(err, e);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return PrintResult(o, confusion, names, seconds, {{"images", "one folder per class"}}, "images", out);
}

}  // namespace

ClassMetrics ComputeMetrics(const std::vector<std::vector<int64_t>>& confusion) {
  ClassMetrics m;
  for (size_t g = 0; g < confusion.size(); ++g) {
    for (size_t p = 0; p < confusion[g].size(); ++p) {
      m.examples += confusion[g][p];
      if (g == p) m.correct += confusion[g][p];
    }
  }
  m.accuracy = m.examples > 0 ? static_cast<double>(m.correct) / static_cast<double>(m.examples) : 0.0;
  if (confusion.size() == 2 && confusion[0].size() == 2 && confusion[1].size() == 2) {
    const double tn = static_cast<double>(confusion[0][0]), fp = static_cast<double>(confusion[0][1]);
    const double fn = static_cast<double>(confusion[1][0]), tp = static_cast<double>(confusion[1][1]);
    const double den = std::sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
    m.mcc = den > 0 ? (tp * tn - fp * fn) / den : 0.0;
    m.f1 = tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0.0;
  }
  return m;
}

int RunEval(const EvalOptions& o, std::ostream& out, std::ostream& err) {
  if (o.text_cols.size() > 2 || (o.text_cols.empty() != o.label_col.empty()) || o.batch < 1 || o.max_length < 0 ||
      o.limit < 0) {
    err << "qcrun eval: give --text-col (once, or twice for pairs) together with --label-col, or neither; "
           "--batch >= 1\n";
    return 2;
  }
  auto model = Model::Load(o.path);
  if (!model.ok()) return Fail(err, model.status().ToString());
  if (std::filesystem::is_directory(o.data)) {
    if (!o.text_cols.empty()) {
      err << "qcrun eval: --text-col / --label-col are for a TSV; " << o.data << " is a folder of images\n";
      return 2;
    }
    return RunImageEval(o, *model, out, err);
  }
  if ((*model)->tokenizer() == nullptr) {
    return Fail(err, o.path +
                         ": the model carries no tokenizer; eval needs text (or, for an image model, a folder "
                         "of images)");
  }
  const std::vector<std::string>& names = (*model)->label_names();
  auto table = ReadTsv(o.data);
  if (!table.ok()) return Fail(err, table.status().ToString());
  auto cols = o.text_cols.empty() ? DetectColumns(*table, o.data) : ExplicitColumns(*table, o, names);
  if (!cols.ok()) return Fail(err, cols.status().ToString());

  SessionOptions session_options;
  session_options.max_length = o.max_length;
  session_options.num_threads = o.threads;
  auto session = Session::Create(*model, session_options);
  if (!session.ok()) return Fail(err, session.status().ToString());

  const size_t first = cols->header ? 1 : 0;
  size_t end = table->rows.size();
  if (o.limit > 0) end = std::min(end, first + static_cast<size_t>(o.limit));
  if (end <= first) return Fail(err, o.data + ": no examples");
  const size_t needed = std::max(cols->label, *std::max_element(cols->text.begin(), cols->text.end())) + 1;

  int64_t classes = 0;
  std::vector<std::vector<int64_t>> confusion;  // [gold][predicted]
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t start = first; start < end; start += static_cast<size_t>(o.batch)) {
    const size_t stop = std::min(end, start + static_cast<size_t>(o.batch));
    std::vector<std::string> texts, pairs;
    for (size_t r = start; r < stop; ++r) {
      const auto& row = table->rows[r];
      if (row.size() < needed) {
        return Fail(err, o.data + ":" + std::to_string(r + 1) + ": " + std::to_string(row.size()) +
                             " columns, expected at least " + std::to_string(needed));
      }
      texts.push_back(row[cols->text[0]]);
      if (cols->text.size() == 2) pairs.push_back(row[cols->text[1]]);
    }
    auto outputs = session->RunText(texts, pairs);
    if (!outputs.ok()) return Fail(err, o.data + ":" + std::to_string(start + 1) + ": " + outputs.status().ToString());
    const int64_t rows = static_cast<int64_t>(texts.size());
    const NamedTensor* logits = Logits(*outputs, rows);
    if (logits == nullptr) return Fail(err, o.path + ": no [batch, classes] float output to classify with");
    if (classes == 0) classes = logits->tensor.shape[1];
    std::vector<int64_t> gold;
    for (int64_t b = 0; b < rows; ++b) {
      const size_t r = start + static_cast<size_t>(b);
      auto index = LabelIndex(table->rows[r][cols->label], names, classes);
      if (!index.ok()) return Fail(err, o.data + ":" + std::to_string(r + 1) + ": " + index.status().message());
      gold.push_back(*index);
    }
    if (std::string e = Tally(*logits, gold, names, o.path, confusion); !e.empty()) return Fail(err, e);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::ordered_json columns = {{"text", std::vector<std::string>(cols->names.begin(), cols->names.end() - 1)},
                                    {"label", cols->names.back()},
                                    {"header", cols->header}};
  const std::string described = "text " + columns["text"].dump() + ", label " + columns["label"].get<std::string>();
  return PrintResult(o, confusion, names, seconds, std::move(columns), described, out);
}

}  // namespace qc::tools
