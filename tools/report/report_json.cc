// Report <-> JSON (docs/report-schema.json). nlohmann::ordered_json keeps insertion order, and its number output is
// the shortest text that round-trips, so the same Report always gives the same bytes.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "report/report.h"

namespace qc::report {
namespace {

using Json = nlohmann::ordered_json;

Json LayerJson(const LayerRow& l) {
  Json j;
  j["name"] = l.name;
  j["op"] = l.op;
  j["shape"] = l.shape;
  j["weight_bits"] = l.weight_bits;
  j["scheme"] = l.scheme;
  j["bytes_before"] = l.bytes_before;
  j["bytes_after"] = l.bytes_after;
  if (l.sqnr_db) j["sqnr_db"] = *l.sqnr_db;
  if (l.cosine) j["cosine"] = *l.cosine;
  return j;
}

Json MetricJson(const Metric& m) {
  Json j;
  j["name"] = m.name;
  j["higher_is_better"] = m.higher_is_better;
  j["teacher"] = m.teacher;
  j["student"] = m.student;
  j["drop"] = m.drop();
  if (m.max_drop) j["max_drop"] = *m.max_drop;
  if (m.min_metric) j["min_metric"] = *m.min_metric;
  j["pass"] = m.pass;
  if (m.trained_agreement) j["trained_agreement"] = *m.trained_agreement;
  if (m.trained_max_diff) j["trained_max_diff"] = *m.trained_max_diff;
  return j;
}

// Reads fields of one JSON object, prefixing every error with the object's path ("report.layers[2]").
class Fields {
 public:
  Fields(const Json& j, std::string path) : j_(j), path_(std::move(path)) {}

  static Expected<Fields> Object(const Json& j, const std::string& path) {
    if (!j.is_object()) return InvalidArgument(path + ": expected an object");
    return Fields(j, path);
  }
  std::string At(const char* key) const { return path_ + "." + key; }
  bool Has(const char* key) const { return j_.contains(key); }
  const Json& Get(const char* key) const { return j_.at(key); }  // call after Has()

  Expected<const Json*> Require(const char* key) const {
    if (!Has(key)) return InvalidArgument(At(key) + ": missing");
    return &Get(key);
  }
  Expected<std::string> String(const char* key) const {
    QC_ASSIGN_OR_RETURN(const Json* v, Require(key));
    if (!v->is_string()) return InvalidArgument(At(key) + ": expected a string");
    return v->get<std::string>();
  }
  Expected<double> Number(const char* key) const {
    QC_ASSIGN_OR_RETURN(const Json* v, Require(key));
    if (!v->is_number()) return InvalidArgument(At(key) + ": expected a number");
    return v->get<double>();
  }
  Expected<std::optional<double>> OptionalNumber(const char* key) const {
    if (!Has(key)) return std::optional<double>();
    QC_ASSIGN_OR_RETURN(double v, Number(key));
    return std::optional<double>(v);
  }
  Expected<uint64_t> Unsigned(const char* key) const {
    QC_ASSIGN_OR_RETURN(const Json* v, Require(key));
    if (!v->is_number_unsigned()) return InvalidArgument(At(key) + ": expected a non-negative integer");
    return v->get<uint64_t>();
  }
  Expected<bool> Bool(const char* key) const {
    QC_ASSIGN_OR_RETURN(const Json* v, Require(key));
    if (!v->is_boolean()) return InvalidArgument(At(key) + ": expected true or false");
    return v->get<bool>();
  }
  Expected<const Json*> Array(const char* key) const {
    QC_ASSIGN_OR_RETURN(const Json* v, Require(key));
    if (!v->is_array()) return InvalidArgument(At(key) + ": expected an array");
    return v;
  }

 private:
  const Json& j_;
  std::string path_;
};

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

Expected<LayerRow> ParseLayer(const Json& j, const std::string& path) {
  QC_ASSIGN_OR_RETURN(Fields f, Fields::Object(j, path));
  LayerRow l;
  QC_ASSIGN_OR_RETURN(l.name, f.String("name"));
  QC_ASSIGN_OR_RETURN(l.op, f.String("op"));
  QC_ASSIGN_OR_RETURN(const Json* shape, f.Array("shape"));
  for (size_t d = 0; d < shape->size(); ++d) {
    if (!(*shape)[d].is_number_integer()) return InvalidArgument(Index(f.At("shape"), d) + ": expected an integer");
    l.shape.push_back((*shape)[d].get<int64_t>());
  }
  QC_ASSIGN_OR_RETURN(const Json* bits, f.Require("weight_bits"));
  if (!bits->is_number_integer()) return InvalidArgument(f.At("weight_bits") + ": expected an integer");
  l.weight_bits = static_cast<int>(std::max<int64_t>(-1, std::min<int64_t>(bits->get<int64_t>(), 1000)));
  QC_ASSIGN_OR_RETURN(l.scheme, f.String("scheme"));
  QC_ASSIGN_OR_RETURN(l.bytes_before, f.Unsigned("bytes_before"));
  QC_ASSIGN_OR_RETURN(l.bytes_after, f.Unsigned("bytes_after"));
  QC_ASSIGN_OR_RETURN(l.sqnr_db, f.OptionalNumber("sqnr_db"));
  QC_ASSIGN_OR_RETURN(l.cosine, f.OptionalNumber("cosine"));
  return l;
}

Expected<Metric> ParseMetric(const Json& j, const std::string& path) {
  QC_ASSIGN_OR_RETURN(Fields f, Fields::Object(j, path));
  Metric m;
  QC_ASSIGN_OR_RETURN(m.name, f.String("name"));
  QC_ASSIGN_OR_RETURN(m.higher_is_better, f.Bool("higher_is_better"));
  QC_ASSIGN_OR_RETURN(m.teacher, f.Number("teacher"));
  QC_ASSIGN_OR_RETURN(m.student, f.Number("student"));
  QC_ASSIGN_OR_RETURN(m.max_drop, f.OptionalNumber("max_drop"));
  QC_ASSIGN_OR_RETURN(m.min_metric, f.OptionalNumber("min_metric"));
  QC_ASSIGN_OR_RETURN(m.pass, f.Bool("pass"));
  QC_ASSIGN_OR_RETURN(m.trained_agreement, f.OptionalNumber("trained_agreement"));
  QC_ASSIGN_OR_RETURN(m.trained_max_diff, f.OptionalNumber("trained_max_diff"));
  QC_ASSIGN_OR_RETURN(double drop, f.Number("drop"));
  if (drop != m.drop()) return InvalidArgument(f.At("drop") + ": does not equal the teacher/student difference");
  return m;
}

Expected<Curve> ParseCurve(const Json& j, const std::string& path) {
  QC_ASSIGN_OR_RETURN(Fields f, Fields::Object(j, path));
  Curve c;
  QC_ASSIGN_OR_RETURN(c.name, f.String("name"));
  QC_ASSIGN_OR_RETURN(const Json* points, f.Array("points"));
  for (size_t i = 0; i < points->size(); ++i) {
    const Json& p = (*points)[i];
    if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !p[1].is_number()) {
      return InvalidArgument(Index(f.At("points"), i) + ": expected [integer step, number value]");
    }
    c.points.emplace_back(p[0].get<int64_t>(), p[1].get<double>());
  }
  return c;
}

Expected<std::vector<std::string>> ParseStrings(const Fields& f, const char* key) {
  QC_ASSIGN_OR_RETURN(const Json* arr, f.Array(key));
  std::vector<std::string> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    if (!(*arr)[i].is_string()) return InvalidArgument(Index(f.At(key), i) + ": expected a string");
    out.push_back((*arr)[i].get<std::string>());
  }
  return out;
}

}  // namespace

std::string ToJson(const Report& r) {
  Json j;
  j["schema"] = kSchemaId;
  j["qcompress_version"] = r.qcompress_version;
  j["model"] = {{"name", r.model_name}, {"source_hash", r.source_hash}, {"command_line", r.command_line}};
  j["config_summary"] = r.config_summary;
  j["eval_data"] = r.eval_data;
  Json layers = Json::array();
  uint64_t before = 0, after = 0;
  for (const LayerRow& l : r.layers) {
    layers.push_back(LayerJson(l));
    before += l.bytes_before;
    after += l.bytes_after;
  }
  j["layers"] = std::move(layers);
  j["totals"] = {{"file_bytes_before", r.totals.file_bytes_before},
                 {"file_bytes_after", r.totals.file_bytes_after},
                 {"ratio", r.totals.ratio()},
                 {"layer_bytes_before", before},
                 {"layer_bytes_after", after}};
  if (r.metric) j["metric"] = MetricJson(*r.metric);
  Json curves = Json::array();
  for (const Curve& c : r.curves) {
    Json points = Json::array();
    for (const auto& [step, value] : c.points) points.push_back(Json::array({step, value}));
    curves.push_back({{"name", c.name}, {"points", std::move(points)}});
  }
  j["curves"] = std::move(curves);
  j["warnings"] = r.warnings;
  return j.dump(2, ' ', /*ensure_ascii=*/false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Expected<Report> FromJson(std::string_view text) {
  const Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("report: not valid JSON");
  QC_ASSIGN_OR_RETURN(Fields f, Fields::Object(j, "report"));
  QC_ASSIGN_OR_RETURN(std::string schema, f.String("schema"));
  if (schema != kSchemaId) {
    return Unsupported("report.schema: \"" + schema + "\" is not the supported \"" + kSchemaId + "\"");
  }
  Report r;
  QC_ASSIGN_OR_RETURN(r.qcompress_version, f.String("qcompress_version"));
  QC_ASSIGN_OR_RETURN(const Json* model_json, f.Require("model"));
  QC_ASSIGN_OR_RETURN(Fields model, Fields::Object(*model_json, "report.model"));
  QC_ASSIGN_OR_RETURN(r.model_name, model.String("name"));
  QC_ASSIGN_OR_RETURN(r.source_hash, model.String("source_hash"));
  QC_ASSIGN_OR_RETURN(r.command_line, model.String("command_line"));
  QC_ASSIGN_OR_RETURN(r.config_summary, f.String("config_summary"));
  QC_ASSIGN_OR_RETURN(r.eval_data, f.String("eval_data"));
  QC_ASSIGN_OR_RETURN(const Json* layers, f.Array("layers"));
  for (size_t i = 0; i < layers->size(); ++i) {
    QC_ASSIGN_OR_RETURN(LayerRow l, ParseLayer((*layers)[i], Index("report.layers", i)));
    r.layers.push_back(std::move(l));
  }
  QC_ASSIGN_OR_RETURN(const Json* totals_json, f.Require("totals"));
  QC_ASSIGN_OR_RETURN(Fields totals, Fields::Object(*totals_json, "report.totals"));
  QC_ASSIGN_OR_RETURN(r.totals.file_bytes_before, totals.Unsigned("file_bytes_before"));
  QC_ASSIGN_OR_RETURN(r.totals.file_bytes_after, totals.Unsigned("file_bytes_after"));
  QC_ASSIGN_OR_RETURN(double ratio, totals.Number("ratio"));
  if (ratio != r.totals.ratio()) return InvalidArgument("report.totals.ratio: does not equal before / after");
  if (f.Has("metric")) {
    QC_ASSIGN_OR_RETURN(Metric m, ParseMetric(f.Get("metric"), "report.metric"));
    r.metric = std::move(m);
  }
  QC_ASSIGN_OR_RETURN(const Json* curves, f.Array("curves"));
  for (size_t i = 0; i < curves->size(); ++i) {
    QC_ASSIGN_OR_RETURN(Curve c, ParseCurve((*curves)[i], Index("report.curves", i)));
    r.curves.push_back(std::move(c));
  }
  QC_ASSIGN_OR_RETURN(r.warnings, ParseStrings(f, "warnings"));
  QC_RETURN_IF_ERROR(Validate(r));
  return r;
}

}  // namespace qc::report
